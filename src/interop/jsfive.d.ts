// The part of jsfive (pure-JS HDF5 reader, no types of its own) that keras-file.ts uses.
declare module 'jsfive' {
  export class Group {
    readonly name: string;
    readonly keys: string[];
    get(path: string): Group | Dataset | null;
  }
  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    readonly dtype: unknown;
    readonly attrs: Record<string, unknown>;
    readonly value: ArrayLike<number>;
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename: string);
  }
}
