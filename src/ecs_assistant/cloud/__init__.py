"""Cloud access: the only package that imports the Alibaba Cloud SDKs.

``credentials`` obtains and refreshes credentials, ``ecs`` looks instances up (with retries, batching,
multi-region search and the DryRun permission probe), ``cache`` keeps answers, and ``errors`` turns SDK
exceptions into the service's own errors. Nothing here knows about Flask.
"""
