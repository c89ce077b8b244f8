"""digest: articles in, one email digest per subscriber out.

Data flows one way: ingest -> store -> select -> summarize -> render -> send -> record. The faces
(cli/, web/, daemon.py) call digest.pipeline, which composes the stages and alone reads and
writes the database (digest.db). The README's Architecture section maps the rooms.
May import: cli (the entry point only).
"""

__version__ = "0.1.0"
