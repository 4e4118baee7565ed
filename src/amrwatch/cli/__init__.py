"""The `amrwatch` command line: one module per command group, each exposing `register(app)`.

Modules are discovered, so a new stage adds its commands by adding a module here; command
bodies import their stage lazily so that `amrwatch --help` stays fast.
"""
