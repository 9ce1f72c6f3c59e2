// The network written as an ONNX graph, so ONNX Runtime's CPU kernels (MLAS: AVX2/AVX-512 with
// FMA, its own thread pool) can run it. The graph is built from the same weights and layer specs as
// the TF.js network; the protobuf is written by hand, as it needs only a few message types.
import { DECODER, ENCODER, RESIDUAL_BLOCKS, type LayerSpec, type ModelWeights } from './model-files.js';
import { phaseKernel } from './phase-conv.js';
import { floatAttribute, GraphBuilder, intAttribute, intsAttribute, join, message, modelBytes, stringAttribute, text, valueInfo } from './onnx-proto.js';

const EPSILON = 1e-3;

/** TF's [kh, kw, in, out] kernel as ONNX's [out, in, kh, kw]. */
function toOihw(values: Float32Array, [kh, kw, inC, outC]: number[]): { values: Float32Array; dims: number[] } {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inC; i++)
        for (let o = 0; o < outC; o++) out[((o * inC + i) * kh + y) * kw + x] = values[((y * kw + x) * inC + i) * outC + o];
  return { values: out, dims: [outC, inC, kh, kw] };
}

/** conv (or phase-decomposed transposed conv) → instance norm → relu, as in TransformerNet. */
function layer(g: GraphBuilder, x: string, spec: LayerSpec, weights: ModelWeights): string {
  const v = weights.variables;
  let y: string;
  if (spec.transposed) {
    // The same sub-pixel form as the TF.js network: pad top/left by one, a 2x2 convolution giving
    // the four pixel phases, interleaved by DepthToSpace (DCR order is TF's depthToSpace order).
    const phase = phaseKernel(v[spec.index].values, v[spec.index].shape);
    const kernel = toOihw(phase.values, phase.shape);
    const phases = g.op('Conv', [x, g.constant(kernel.dims, kernel.values)], [intsAttribute('pads', [1, 1, 0, 0])]);
    y = g.op('DepthToSpace', [phases], [intAttribute('blocksize', 2), stringAttribute('mode', 'DCR')]);
  } else {
    const kernel = toOihw(v[spec.index].values, v[spec.index].shape);
    // SAME_UPPER is TF's 'same': any odd padding goes to the bottom and right.
    y = g.op('Conv', [x, g.constant(kernel.dims, kernel.values)], [stringAttribute('auto_pad', 'SAME_UPPER'), intsAttribute('strides', [spec.stride, spec.stride])]);
  }
  const shift = v[spec.index + 1].values;
  const scale = v[spec.index + 2].values;
  const normalised = g.op('InstanceNormalization', [y, g.constant([scale.length], scale), g.constant([shift.length], shift)], [floatAttribute('epsilon', EPSILON)]);
  return spec.relu ? g.op('Relu', [normalised]) : normalised;
}

/**
 * The model as ONNX bytes: input `rgb` [N, H, W, 3] float 0..255 (H and W multiples of 4), output
 * `stylized` in the same layout, clipped to 0..255.
 */
export function onnxModel(weights: ModelWeights): Uint8Array {
  const g = new GraphBuilder();
  let y = g.op('Transpose', ['rgb'], [intsAttribute('perm', [0, 3, 1, 2])]);
  for (const spec of ENCODER) y = layer(g, y, spec, weights);
  for (const [a, b] of RESIDUAL_BLOCKS) y = g.op('Add', [y, layer(g, layer(g, y, a, weights), b, weights)]);
  for (const spec of DECODER) y = layer(g, y, spec, weights);
  const scalar = (value: number) => g.constant([], Float32Array.of(value));
  y = g.op('Add', [g.op('Mul', [g.op('Tanh', [y]), scalar(150)]), scalar(127.5)]);
  y = g.op('Clip', [y, scalar(0), scalar(255)]);
  g.nodes.push(join([text(1, y), text(2, 'stylized'), text(4, 'Transpose'), message(5, intsAttribute('perm', [0, 2, 3, 1]))]));
  const graph = join([
    ...g.nodes.map((n) => message(1, n)),
    text(2, 'transformer_net'),
    ...g.initializers.map((t) => message(5, t)),
    message(11, valueInfo('rgb', ['N', 'H', 'W', 3])),
    message(12, valueInfo('stylized', ['N', 'H', 'W', 3])),
  ]);
  return modelBytes(graph);
}
