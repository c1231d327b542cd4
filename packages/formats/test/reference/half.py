# float32 -> float16 with numpy, float32 -> bfloat16 with torch, over an LCG stream of float32 bit patterns.
import numpy as np, torch
def lcg(n, seed=12345):
    x = seed; out = []
    for _ in range(n):
        x = (x * 1664525 + 1013904223) & 0xffffffff
        out.append(x)
    return np.array(out, dtype=np.uint32)
bits = lcg(200000)
notnan = ~(((bits >> 23) & 0xff) == 0xff) | ((bits & 0x7fffff) == 0)
bits = bits[notnan]
f = bits.view(np.float32)
h = f.astype(np.float16).view(np.uint16)
b = torch.from_numpy(f.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
def hsh(a):
    s = 2166136261
    for v in a.tolist(): s = ((s ^ int(v)) * 16777619) & 0xffffffff
    return s
print('count', len(bits), 'f16 hash', hex(hsh(h)), 'bf16 hash', hex(hsh(b)))
# f16->f32 over all 65536 halves (NaNs included; numpy keeps their payload)
allh = np.arange(65536, dtype=np.uint32).astype(np.uint16)
f32 = allh.view(np.float16).astype(np.float32).view(np.uint32)
print('f16->f32 all hash', hex(hsh(f32)))
allb = np.arange(65536, dtype=np.uint32).astype(np.uint16)
b32 = torch.from_numpy(allb.view(np.int16).copy()).view(torch.bfloat16).float().numpy().view(np.uint32)
print('bf16->f32 all hash', hex(hsh(b32)))
vals = [1.0, -2.5, 65504.0, 65519.0, 65520.0, 6e-8, 2**-24, 2**-25, 3*2**-25, 2**-14 - 2**-25, 2**-14, 1+2**-11, 1+3*2**-11, 0.1, -0.0, float('inf'), float('-inf'), 1e-10]
for v in vals:
    x = np.float32(v)
    print(repr(v), 'f32bits', hex(np.array([x]).view(np.uint32)[0]), 'f16', hex(np.array([x]).astype(np.float16).view(np.uint16)[0]))
bvals = [1.0, -2.5, 1+2**-8, 1+3*2**-8, 3.4028234663852886e38, 1e-40, 0.1, -0.0, float('inf'), 3.0e38]
for v in bvals:
    x = torch.tensor([v], dtype=torch.float32)
    print(repr(v), 'f32bits', hex(x.view(torch.int32).item() & 0xffffffff), 'bf16', hex(x.to(torch.bfloat16).view(torch.int16).item() & 0xffff))
