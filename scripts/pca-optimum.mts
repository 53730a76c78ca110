// The PCA optimum for a linear autoencoder's code size on the bundled split: the test
// MSE of reconstructing test digits from their projection on the first k principal
// components of the training digits. Usage: npx tsx scripts/pca-optimum.mts [k]
import { loadSplits } from '../src/data/load.js';
import { fitPca, pcaReconstructionMse } from '../src/analysis/pca.js';

const k = Number(process.argv[2] ?? 64);
const { train, test } = await loadSplits();
const t0 = performance.now();
const p = fitPca(train.images, train.n, 784);
const mse = pcaReconstructionMse(p, test.images, test.n, k);
console.log(JSON.stringify({ k, test_mse: mse, train_mse: pcaReconstructionMse(p, train.images, train.n, k), seconds: (performance.now() - t0) / 1000 }));
