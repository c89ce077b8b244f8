"""digest.web: the two web apps, both faces over digest.pipeline.

  subscriber  `digest serve`: unsubscribe, preferences, confirm, sign-up, archive, feeds, articles
  preview     `digest preview --serve`: every topic mix's current edition, on 127.0.0.1
May import: config, errors, models, pipeline, resources, lists.tokens.
"""
