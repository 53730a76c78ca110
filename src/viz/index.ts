// viz: PNG grids, charts and MNIST-style preprocessing. No `node:` imports: the browser
// bundle uses the same code; callers write the PNG bytes wherever they need them.
export { MAX_PICTURE_PIXELS, NAN_MARKER, Raster, toPng } from './raster.js';
export { TAB10, parseColor, type ColorLike, type Rgb } from './colors.js';
export { drawText, textWidth, type TextOptions } from './font.js';
export { cellsPerLine, imageGrid, imageGridSize, LINE_PIXELS, manifoldGrid, tileScale, type GridLayoutRow, type GridOptions, type GridRow } from './grid.js';
export { linePlot, scatterPlot, type LinePlotOptions, type LineSeries, type ScatterPlotOptions } from './plot.js';
export { MNIST_BOX, MNIST_CENTRE, MNIST_SIDE, toMnistInput, type PreprocessOptions } from './preprocess.js';
export { decodePng, type DecodedImage, type PixelImage } from './decode-png.js';
