#!/usr/bin/env node
// Runs an ONNX file in onnxruntime (onnxruntime-node, CPU) on the rows of a CSV
// file and prints one JSON line per row, {"row": n, "output": [...]}, then a final
// line, the same shape of output as `nnstudio-cli predict --json`.
//   node run_onnx.js MODEL.onnx INPUT.csv SHAPE      (SHAPE: per-sample dims, e.g. 1,28,28)
// Exit codes: 0 done, 1 bad input or onnxruntime error (one line on stderr), 2 usage.
'use strict';
const fs = require('fs');
const path = require('path');

function die(msg, code = 1) {
    process.stderr.write(`run_onnx: ${msg}\n`);
    process.exit(code);
}

const [modelPath, csvPath, shapeArg] = process.argv.slice(2);
if (!modelPath || !csvPath || !shapeArg) die('usage: node run_onnx.js MODEL.onnx INPUT.csv SHAPE (e.g. 1,28,28)', 2);

let ort;
try {
    ort = require('onnxruntime-node');
} catch (e) {
    die(`cannot load onnxruntime-node (${e.message}); run 'bash packaging/setup.sh' (it runs ` +
        `'npm ci --ignore-scripts' in ${path.relative(process.cwd(), __dirname) || '.'})`);
}

const sample = shapeArg.split(',').map(Number);
if (sample.some((d) => !Number.isInteger(d) || d <= 0)) die(`bad shape '${shapeArg}'`, 2);
const features = sample.reduce((a, b) => a * b, 1);

const lines = fs.readFileSync(csvPath, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const rows = [];
lines.forEach((line, i) => {
    const fields = line.split(',').map((f) => f.trim());
    const values = fields.map(Number);
    if (values.some((v) => !Number.isFinite(v) || fields.some((f) => f === ''))) {
        if (i === 0) return;  // a header
        die(`${csvPath}: line ${i + 1}: not a row of numbers`);
    }
    if (values.length !== features) die(`${csvPath}: line ${i + 1}: ${values.length} values, the model takes ${features}`);
    rows.push(values);
});
if (!rows.length) die(`${csvPath}: no rows`);

(async () => {
    const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
    });
    const data = new Float32Array(rows.length * features);
    rows.forEach((r, i) => data.set(r, i * features));
    const input = new ort.Tensor('float32', data, [rows.length, ...sample]);
    const result = await session.run({ [session.inputNames[0]]: input });
    const out = result[session.outputNames[0]];
    const width = out.dims[1];
    if (out.dims.length !== 2 || out.dims[0] !== rows.length) die(`unexpected output shape [${out.dims}]`);
    const lines = [];
    for (let i = 0; i < rows.length; ++i)
        lines.push(JSON.stringify({ row: i + 1, output: Array.from(out.data.subarray(i * width, (i + 1) * width)) }));
    lines.push(JSON.stringify({ final: true, rows: rows.length, outputs: width, runtime: `onnxruntime-node ${ort.env.versions.node}` }));
    process.stdout.write(lines.join('\n') + '\n');
})().catch((e) => die(`onnxruntime: ${e.message}`));
