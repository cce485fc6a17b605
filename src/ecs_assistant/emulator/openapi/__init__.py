"""The ECS OpenAPI side of the emulator: signatures, authentication, policies, actions, dispatch."""
