// What travels between the page's runtime proxy (runtime.js) and its worker (runtime-worker.js).
//
// Requests: {id, op, ...arguments}; replies: {id, value} or {id, error: {name, message}}. Runs
// asked for in one turn travel as {op: "batch", requests} and come back as {replies}.
// Typed arrays go as arrays that own their whole buffer, and their buffers are transferred (moved,
// not copied). A view into a larger buffer is copied first: posting it as it is would copy the
// whole buffer, and moving that buffer would take it from under whatever else views it.

import { FigureUnavailable } from "./runtime-core.js";

/** onnxruntime's name of a typed array's element type (what ort.Tensor's first argument takes). */
const TENSOR_TYPES = new Map([
  [Float32Array, "float32"], [Float64Array, "float64"], [Int32Array, "int32"],
  [Uint8Array, "uint8"], [Int8Array, "int8"], [Uint16Array, "uint16"], [Int16Array, "int16"],
  [Uint32Array, "uint32"], [BigInt64Array, "int64"], [BigUint64Array, "uint64"],
]);

export function tensorType(data) {
  return TENSOR_TYPES.get(data.constructor) ?? "float32";
}

/** `data` itself when it owns its whole buffer, else a copy that does. */
function owningWhole(data) {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return whole && data.buffer instanceof ArrayBuffer ? data : data.slice();
}

/**
 * Prepare the typed arrays among `values` (an object, one level deep) for postMessage: returns
 * {value, transfer}, where `value` holds arrays that own their buffers and `transfer` lists them.
 * With `copy`, every array is copied, so the sender's arrays stay usable; without it, arrays that
 * own their whole buffer are moved and become empty on the sending side.
 */
export function packArrays(values, { copy = false } = {}) {
  const value = {};
  const transfer = [];
  for (const [name, data] of Object.entries(values)) {
    if (ArrayBuffer.isView(data)) {
      const own = copy ? data.slice() : owningWhole(data);
      transfer.push(own.buffer);
      value[name] = own;
    } else {
      value[name] = data;
    }
  }
  return { value, transfer };
}

/** An error as it crosses to the other side (Error objects lose their name there). */
export function errorToWire(error) {
  return { name: error?.name ?? "Error", message: String(error?.message ?? error) };
}

/** The error the other side sent, as the same kind: FigureUnavailable keeps its reader's sentence. */
export function errorFromWire({ name, message }) {
  return name === "FigureUnavailable" ? new FigureUnavailable(message) : new Error(message);
}
