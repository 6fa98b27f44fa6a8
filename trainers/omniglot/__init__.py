"""The Omniglot side of the project: the classifier the few-shot game in the Introduction runs.

- `tasks`: the task family (the drawings, the split into meta-training and held-out characters,
  N-way episodes);
- `convnet`: the classifier, functional, with a convolution whose gradient exports to ONNX;
- `evaluation`: 1-shot accuracy on the held-out characters under the article's protocol;
- `sprites`: the held-out drawings as the sprite sheets the game loads.

The game's two graphs are in trainers.graphs.omniglot, with the other families' graphs.
"""
