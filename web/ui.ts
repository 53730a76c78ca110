// Small DOM helpers shared by the demo's panels.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo page: no element #${id}`);
  return el as T;
}

/** The canvas's 2D context; the first call fixes its settings (readBack: read often with getImageData). */
export function ctx2d(canvas: HTMLCanvasElement, readBack = false): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: readBack });
  if (!ctx) throw new Error(`demo page: no 2D context for #${canvas.id}`);
  return ctx;
}

export function clearCanvas(canvas: HTMLCanvasElement): void {
  const ctx = ctx2d(canvas);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}

/** Milliseconds with sensible precision: 0.42 ms, 3.1 ms, 120 ms. */
export function fmtMs(ms: number): string {
  return ms < 1 ? `${ms.toFixed(2)} ms` : ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export function mse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

/** Canvas coordinates of a pointer event (the canvas may be drawn at another CSS size). */
export function canvasPoint(canvas: HTMLCanvasElement, e: PointerEvent): { x: number; y: number } {
  const r = canvas.getBoundingClientRect();
  return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height };
}

/**
 * Runs an async job at most one at a time: requests made while it runs collapse into one
 * more run afterwards, so dragging a slider never queues a backlog of inferences. The
 * promise settles when the job has caught up with the latest request.
 */
export function coalesce(job: () => Promise<void>, onError: (err: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await job();
        } while (again);
      } catch (err) {
        onError(err);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

/** A labelled range input with its value shown beside it. */
export function slider(label: string, min: number, max: number, step: number, value: number, format: (v: number) => string, onInput: (v: number) => void): { root: HTMLLabelElement; input: HTMLInputElement; set(v: number): void } {
  const root = document.createElement('label');
  root.className = 'slider';
  const name = document.createElement('span');
  name.textContent = label;
  const input = document.createElement('input');
  Object.assign(input, { type: 'range', min: String(min), max: String(max), step: String(step), value: String(value) });
  const out = document.createElement('output');
  out.textContent = format(value);
  input.addEventListener('input', () => {
    out.textContent = format(input.valueAsNumber);
    onInput(input.valueAsNumber);
  });
  root.append(name, input, out);
  return {
    root,
    input,
    set(v: number) {
      input.value = String(v);
      out.textContent = format(input.valueAsNumber);
    },
  };
}
