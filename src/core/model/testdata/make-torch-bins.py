"""Writes the pytorch_model.bin test files for torch-bin-reader.test.ts with real torch.save, in both layouts:
the zip of torch >= 1.6 (state-dict.bin, views.bin) and the legacy stream of pickles that torch < 1.6 wrote
and torch 1.13 still writes with _use_new_zipfile_serialization=False (legacy-state-dict.bin, legacy-views.bin).

Run with Debian's torch (apt-get install python3-torch): /usr/bin/python3 make-torch-bins.py
Values follow v(i) = ((i * 7) % 11 - 5) / 8 over the elements of a base tensor, exactly representable in
float16 / bfloat16, so the test can recompute every expected value from the same formula.
"""
import collections
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def pattern(n, dtype=torch.float32):
    return torch.tensor([((i * 7) % 11 - 5) / 8 for i in range(n)], dtype=dtype)


# 1. A module's state_dict (OrderedDict with a _metadata attribute, as transformers saves it).
module = torch.nn.Sequential(collections.OrderedDict([
    ("dense", torch.nn.Linear(4, 3)),
    ("LayerNorm", torch.nn.LayerNorm(3)),
]))
with torch.no_grad():
    module.dense.weight.copy_(pattern(12).reshape(3, 4))
    module.dense.bias.copy_(pattern(3))
    module.LayerNorm.weight.copy_(pattern(3) + 1)
    module.LayerNorm.bias.copy_(pattern(3) - 1)
state_dict = module.state_dict()

# 2. Views sharing storages, several dtypes, a Parameter, an int64 buffer.
base = pattern(24).reshape(4, 6)
views = collections.OrderedDict()
views["base"] = base
views["transposed"] = base.t()              # [6, 4], strides (1, 6)
views["rows_1_to_3"] = base[1:3]             # storage offset 6
views["every_other_column"] = base[:, ::2]   # [4, 3], strides (6, 2)
views["half"] = pattern(5, torch.float16)
views["bfloat"] = pattern(5, torch.bfloat16)
views["double"] = pattern(3, torch.float64)
views["parameter"] = torch.nn.Parameter(pattern(2))
views["position_ids"] = torch.arange(5).unsqueeze(0)
views["scalar"] = torch.tensor(0.625)

for name, obj in (("state-dict.bin", state_dict), ("views.bin", views)):
    torch.save(obj, os.path.join(HERE, name))
    torch.save(obj, os.path.join(HERE, "legacy-" + name), _use_new_zipfile_serialization=False)

for name in ("state-dict.bin", "views.bin", "legacy-state-dict.bin", "legacy-views.bin"):
    loaded = torch.load(os.path.join(HERE, name), weights_only=True)
    print(name, {k: (tuple(v.shape), str(v.dtype)) for k, v in loaded.items()})
