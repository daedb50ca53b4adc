"""Cost beside shapes: the work each layer does, what each FLOP-counting tool would call it, memory.

- :mod:`~cnncalc.cost.layers`: one function per layer type (keyed on the spec class) counting its
  MACs, bias additions, activations, other element-wise work and LeCun's connections, from what
  shape inference found (output shape, weights, windows). The engine stores the result on every
  record.
- :mod:`~cnncalc.cost.torch_twin` and :mod:`~cnncalc.cost.conventions`: the PyTorch modules a spec
  layer becomes, and each tool's rule for each module (fvcore, ptflops, thop, torchinfo, calflops,
  torchvision's published figures), as pure functions over the records.
- :mod:`~cnncalc.cost.memory`: bytes of parameters and activations by dtype, torchinfo's estimate
  at a batch size, and a training estimate with the optimiser's state.
"""
