"""The projection engine: follows the event log and keeps read models current.

Knows no read model: read models (the modules beside this package) implement
``projections.engine.core.Projection``; ``projections.catalogue`` lists them.
"""
