"""digest: articles in, one email digest per subscriber out.

Data flows one way: ingest -> store -> select -> summarize -> render -> send -> record.
"""

__version__ = "0.1.0"
