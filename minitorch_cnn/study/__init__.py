"""Study tools (the apps floor): read a model rather than train it.

- ``study.summary``: ``summary(model, input_size)``, the layer table with output shapes, parameters and
  mult-adds (also ``mt.summary``).
"""
