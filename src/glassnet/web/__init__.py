"""The explorer: a local web page to step through training and see the chain rule at work.

Needs ``pip install 'glassnet[web]'`` (FastAPI and uvicorn). Start it with ``glassnet explore``.
"""
