"""The project pass's machinery: discovery, the Django settings read statically, the facts cache, the migration graph,
the model state, the deployed git revision and the index rules read. It names nothing of ``rules/``; ``run.py``
puts the pieces together.

Import the modules themselves (``project.discover``, ``project.index``...): this package imports nothing, so that
the plugin's fast path does not pay for the graph and state modules.
"""
