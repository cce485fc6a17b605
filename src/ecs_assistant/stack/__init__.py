"""The local highly available stack: HAProxy -> N x (nginx -> uWSGI -> app), plus the emulator.

`templates/` is the single source of the nginx, uWSGI, HAProxy and systemd configuration for both the
local stack and production installs; `runner.LocalStack` renders them into a run directory and runs the
real programs as child processes.
"""
