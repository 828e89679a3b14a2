"""The project pass: every migration of the tree, the graph Django would build from them, and cross-file rules.

Import the modules themselves (``project.checks``, ``project.findings``...): this package imports nothing, so that
the plugin's fast path does not pay for the graph and state modules.
"""
