// A tensor is a place in the heap and a shape; the first dimension is the batch the
// buffer was planned for (a step may use fewer rows).

export type Shape = readonly number[];

export interface Tensor {
  offset: number;
  /** [batch, ...perSample] */
  shape: Shape;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
