import * as tf from '@tensorflow/tfjs-core';

/** What these kernels use of tfjs-backend-wasm's BackendWasm. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(tensor: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * tfjs-backend-wasm's Slice (and SplitV, which calls it once per output) starts with `backend.readSync(x)`,
 * which copies the *whole* input out of the wasm heap: taking 1,024 rows of a [32768, 512] tensor costs 45 ms,
 * and splitting a tensor into n parts copies it n times. For a contiguous slice (a block of leading rows,
 * all that SplitV along axis 0 and our attention ever ask for) these kernels copy only the slice, straight
 * from a view of the heap; every other case goes to the original kernel.
 */
let registered = false;

export function registerFastWasmSlices(): void {
  const originalSlice = tf.getKernel('Slice', 'wasm');
  if (registered || !originalSlice || !tf.getKernel('SplitV', 'wasm')) return;
  registered = true;

  const fastSlice = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.TensorInfo & tf.Tensor, begin, size) as [
      number[],
      number[],
    ];
    if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
      return originalSlice.kernelFunc(args) as tf.TensorInfo;
    }
    const backend = args.backend as unknown as WasmBackend;
    const offset = tf.slice_util.computeFlatOffset(begin_, tf.util.computeStrides(x.shape));
    const count = tf.util.sizeFromShape(size_);
    const out = backend.makeOutput(size_, x.dtype);
    // Views of the heap are taken after makeOutput, whose allocation may have grown (and moved) the heap.
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + count));
    return out;
  };

  const fastSplit = (args: KernelArgs): tf.TensorInfo[] => {
    const x = args.inputs.x as tf.TensorInfo;
    const { numOrSizeSplits, axis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.TensorInfo & tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((part) => {
      const size = [...x.shape];
      size[$axis] = part;
      const out = fastSlice({ ...args, attrs: { begin: [...begin], size } as unknown as tf.NamedAttrMap });
      begin[$axis] = (begin[$axis] ?? 0) + part;
      return out;
    });
  };

  tf.unregisterKernel('Slice', 'wasm');
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({ kernelName: 'Slice', backendName: 'wasm', kernelFunc: fastSlice as tf.KernelFunc });
  tf.registerKernel({
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: fastSplit as unknown as tf.KernelFunc,
  });
}
