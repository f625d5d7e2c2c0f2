"""Read models over the event store's log, and the engine that keeps them current.

* ``projections.engine``: the batched, exactly-once projection engine (knows no read model);
* one module per read model beside it, ``projections.cycle_summary`` for the summary family;
* ``projections.catalogue``: every read model, and ``read_models(url)``, the engine over them.

Nothing here connects to anything at import time.
"""
