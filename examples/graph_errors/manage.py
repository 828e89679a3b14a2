#!/usr/bin/env python
"""This project's migration graph is broken on purpose: see README.md."""
