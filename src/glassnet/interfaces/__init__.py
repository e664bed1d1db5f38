"""Interfaces: rendering, command line, files and adapters. They depend on the core, never the reverse."""
