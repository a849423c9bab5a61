"""Study tools (the apps floor): read a model rather than train it.

- ``study.summary``: ``summary(model, input_size)``, the layer table with output shapes, parameters and
  mult-adds (also ``mt.summary``).
- ``study.viz``: ``graph(output, params)``, the autograd graph as indented text, DOT or an image (also ``mt.viz``).
"""
