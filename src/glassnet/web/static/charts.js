// glassnet explorer: the charts. An ES module of pure drawing functions: each takes an element and the
// state the server sent (see spec: `history`, `maps`, `boundary`) and draws it; nothing here fetches or
// recomputes the maths.
//
//   drawCurve(svg, state)            the loss curve (training and test loss, log scale)
//   drawBoundary(box, state, focus)  the decision boundary with the data, or one neuron's map, large
//   drawNeuronMaps(svg, state)       each neuron's map inside its circle in the network picture
//
// Two colour schemes, each with one meaning:
// - CLASS colours (the boundary, the data points, the legend): one colour per class, from Okabe and Ito's
//   palette, which stays distinguishable with every common kind of colour blindness.
// - The NEURON scale (the neuron maps): TensorFlow Playground's diverging scale, orange for a neuron's
//   negative (or low) output, white (Playground's near-white grey) for zero, or the middle of a range of one
//   sign, blue for positive (or high).

const SVG = "http://www.w3.org/2000/svg";

// ------------------------------------------------------------------------------------------------ colours
// Okabe-Ito, ordered so that two classes are orange and blue like Playground's.
export const CLASS_COLOURS = [
  [230, 159, 0],    // orange
  [0, 114, 178],    // blue
  [0, 158, 115],    // bluish green
  [213, 94, 0],     // vermillion
  [204, 121, 167],  // reddish purple
  [86, 180, 233],   // sky blue
  [240, 228, 66],   // yellow
  [0, 0, 0],        // black
];
const COLOUR_NAMES = ["orange", "blue", "bluish green", "vermillion", "reddish purple", "sky blue", "yellow", "black"];
const WHITE = [255, 255, 255];
// How strongly the boundary shows a class: a sure decision is the class colour at half strength (the colour
// at 0.5 alpha over white), so that the data points, drawn at full strength, stand out on it.
const BACKGROUND_STRENGTH = 0.5;
// Playground's neuron scale: orange (-1), a near-white grey (0), blue (+1).
const NEURON_LOW = [245, 147, 34], NEURON_MID = [232, 234, 235], NEURON_HIGH = [8, 119, 189];

const mix = (a, b, t) => a.map((v, k) => Math.round(v + (b[k] - v) * t));
const css = ([r, g, b]) => `rgb(${r},${g},${b})`;
export const classColour = (k) => CLASS_COLOURS[k % CLASS_COLOURS.length];

// The boundary's 256 colours, one per byte: for "two" classes the byte is the second class's score
// (0 = surely class 1, 128 = undecided, 255 = surely class 2), shown as a diverging scale from the first
// class's colour through white to the second's; for "many" the byte is the predicted class index.
export function boundaryPalette(kind) {
  const palette = [];
  for (let b = 0; b < 256; b++) {
    if (kind === "two") {
      const toward = b < 128 ? classColour(0) : classColour(1);
      const t = b < 128 ? (128 - b) / 128 : (b - 128) / 127;
      palette.push(mix(WHITE, toward, BACKGROUND_STRENGTH * t));
    } else {
      palette.push(mix(WHITE, classColour(b), BACKGROUND_STRENGTH));
    }
  }
  return palette;
}

// The neuron scale over [lo, hi]: a function from a neuron's output to [r, g, b]. Zero is white when the
// range holds both signs (tanh, relu ...): orange then means negative, blue positive, and the depth of the
// colour how far from zero. A range of one sign (sigmoid's [0, 1]) has white at its middle instead.
export function colourScale(lo, hi) {
  const mid = lo < 0 && 0 < hi ? 0 : (lo + hi) / 2;
  return (value) => {
    if (!Number.isFinite(value)) return NEURON_MID;
    if (value < mid) return mix(NEURON_MID, NEURON_LOW, Math.min(1, (mid - value) / (mid - lo || 1)));
    return mix(NEURON_MID, NEURON_HIGH, Math.min(1, (value - mid) / (hi - mid || 1)));
  };
}

// A CSS gradient of the neuron scale from lo (left) to hi (right), for the colour scale bar.
function scaleGradient(lo, hi) {
  const scale = colourScale(lo, hi);
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${css(scale(lo + (hi - lo) * t))} ${t * 100}%`);
  if (lo < 0 && 0 < hi) stops.push(`${css(NEURON_MID)} ${(-lo / (hi - lo)) * 100}%`);
  stops.sort((a, b) => parseFloat(a.split(" ").pop()) - parseFloat(b.split(" ").pop()));
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

// RGBA for each byte of a neuron's map: byte b stands for the output lo + (hi - lo) * b / 255.
const byteTables = new Map();
function neuronBytes(lo, hi) {
  const key = `${lo},${hi}`;
  let table = byteTables.get(key);
  if (!table) {
    const scale = colourScale(lo, hi);
    table = new Uint8ClampedArray(256 * 4);
    for (let b = 0; b < 256; b++) table.set([...scale(lo + ((hi - lo) * b) / 255), 255], 4 * b);
    byteTables.set(key, table);
  }
  return table;
}

function paletteBytes(palette) {
  const table = new Uint8ClampedArray(256 * 4);
  palette.forEach((rgb, b) => table.set([...rgb, 255], 4 * b));
  return table;
}
const BOUNDARY_BYTES = {two: paletteBytes(boundaryPalette("two")), many: paletteBytes(boundaryPalette("many"))};

// ------------------------------------------------------------------------------------------------ helpers
function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// A white outline under a text's letters (painted first), so that it reads on any colour.
const HALO = {"paint-order": "stroke", stroke: "white", "stroke-width": 3, "stroke-linejoin": "round"};

function html(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// A short number for axes and scales (3 significant digits): 0.5, 12, 1e-5, -0.333.
export function short(x) {
  if (x === 0) return "0";
  if (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5) return x.toExponential(2).replace(/\.?0*e\+?/, "e");
  return String(Number(x.toPrecision(3)));
}

// The exact format the page and the server share (spec: "Number format").
export function fmt(x) {
  if (x === null || x === undefined) return "–";
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  return Math.abs(x) < 1e-4 || Math.abs(x) >= 1e9 ? x.toExponential(8) : x.toPrecision(9);
}

// Round tick values between lo and hi, about `count` of them: multiples of 1, 2 or 5 times a power of ten.
export function linearTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0)) return Number.isFinite(lo) ? [lo] : [];
  const power = 10 ** Math.floor(Math.log10(span / count));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count * (1 + 1e-9));
  const ticks = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

// Ticks for a log axis from lo to hi (both > 0), 3 to count + 1 of them: the powers of ten inside, or 1, 2
// and 5 times them, or 1, 2, 3, 5 and 7 times them; else every few powers of ten (a wide range) or evenly
// spaced round values (a narrow one).
export function logTicks(lo, hi, count = 5) {
  const inside = (v) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const multiples = (ms) => {
    const ticks = [];
    for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi; e++) {
      for (const m of ms) if (inside(m * 10 ** e)) ticks.push(Number((m * 10 ** e).toPrecision(6)));
    }
    return ticks;
  };
  for (const ms of [[1], [1, 2, 5], [1, 2, 3, 5, 7]]) {
    const ticks = multiples(ms);
    if (ticks.length >= 3 && ticks.length <= count + 1) return ticks;
  }
  const decades = multiples([1]);
  if (decades.length >= 2) {  // many decades: every second or third power of ten
    const every = Math.ceil(decades.length / count);
    return decades.filter((_, k) => (decades.length - 1 - k) % every === 0);
  }
  return linearTicks(lo, hi, 3).filter((v) => v > 0);
}

// The base64 bytes of a map or boundary, decoded once per distinct string.
const decoded = new Map();
function bytesOf(data) {
  let bytes = decoded.get(data);
  if (!bytes) {
    const text = atob(data);
    bytes = new Uint8Array(text.length);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    if (decoded.size > 2000) decoded.clear();
    decoded.set(data, bytes);
  }
  return bytes;
}

// Paint a resolution x resolution grid of bytes (row 0 at the bottom, as the server sends it) into a
// canvas, one pixel per grid point, each byte coloured by `table` (RGBA per byte). Fast enough for dozens
// of maps a frame: one 32-bit store per pixel into an ImageData kept with its canvas.
const images = new WeakMap();  // canvas -> its ImageData
function paintGrid(canvas, bytes, resolution, table) {
  if (canvas.width !== resolution || canvas.height !== resolution) {
    canvas.width = canvas.height = resolution;
    images.delete(canvas);
  }
  const ctx = canvas.getContext("2d");
  let image = images.get(canvas);
  if (!image) images.set(canvas, (image = ctx.createImageData(resolution, resolution)));
  const pixels = new Uint32Array(image.data.buffer), colours = new Uint32Array(table.buffer);
  for (let row = 0; row < resolution; row++) {
    const top = (resolution - 1 - row) * resolution;  // the canvas counts rows from the top
    for (let col = 0; col < resolution; col++) pixels[top + col] = colours[bytes[row * resolution + col] ?? 128];
  }
  ctx.putImageData(image, 0, 0);
}

// ------------------------------------------------------------------------------------------------ the loss curve
const TRAIN_COLOUR = "#2b6cb0", TEST_COLOUR = "#dd6b20";

// The points [step, loss] of one column of the history that a log scale can show (finite and > 0).
function series(history, column) {
  return history
    .map((row) => [row[0], row[column]])
    .filter(([step, loss]) => Number.isFinite(step) && Number.isFinite(loss) && loss > 0);
}

// The loss curve on a log scale: training loss, and test loss when the data has test rows, from step 0
// to state.steps; a dashed marker at the step shown when the page looks back at an earlier step.
// ``size`` ([width, height]) spares a measurement: measuring after the page changed forces the browser to lay
// out the whole page at once (170 ms with a 4 x 16 network's tables).
export function drawCurve(svg, state, size = null) {
  const [width, height] = size || [svg.clientWidth, svg.clientHeight];
  const box = width && height ? null : svg.getBoundingClientRect();
  const w = Math.round(width || (box && box.width)) || 300, h = Math.round(height || (box && box.height)) || 180;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  const history = state.history || [];
  const train = series(history, 1), test = series(history, 2);
  const plot = {left: 44, right: w - 14, top: 20, bottom: h - 20};
  const lastStep = Math.max(1, state.steps || 0, ...history.map((row) => row[0]).filter(Number.isFinite));
  const x = (step) => plot.left + (step / lastStep) * (plot.right - plot.left);
  const losses = [...train, ...test].map(([, loss]) => loss);
  if (!losses.length) {
    svg.append(el("text", {x: w / 2, y: h / 2, "text-anchor": "middle", class: "chart-note"}, "no loss yet"));
    return;
  }
  let lo = Math.min(...losses), hi = Math.max(...losses);
  if (hi / lo < 1.5) [lo, hi] = [lo / 1.25, hi * 1.25];  // a flat curve gets a little room above and below
  const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05;
  const [logLo, logHi] = [Math.log10(lo) - pad, Math.log10(hi) + pad];
  const y = (loss) => plot.bottom - ((Math.log10(loss) - logLo) / (logHi - logLo)) * (plot.bottom - plot.top);

  svg.append(curveAxes(plot, x, y, lastStep, lo, hi));
  const line = (points, colour, attrs) => el("polyline", {
    points: points.map(([s, l]) => `${x(s).toFixed(1)},${y(l).toFixed(1)}`).join(" "),
    fill: "none", stroke: colour, "stroke-width": 1.5, "stroke-linejoin": "round", ...attrs,
  });
  // the training loss on top: it is the curve the steps drive down; the test loss shows how well that carries over
  if (test.length) svg.append(line(test, TEST_COLOUR, {class: "chart-test", "data-testid": "test-loss", "stroke-opacity": 0.8}));
  if (train.length) svg.append(line(train, TRAIN_COLOUR, {class: "chart-train"}));
  for (const [points, colour] of [[test, TEST_COLOUR], [train, TRAIN_COLOUR]]) {
    if (points.length === 1) svg.append(el("circle", {cx: x(points[0][0]), cy: y(points[0][1]), r: 2.5, fill: colour}));
  }
  if (state.live === false && Number.isFinite(state.viewing)) {
    svg.append(viewingMarker(plot, x(state.viewing), state.viewing));
    if (state.loss > 0 && Number.isFinite(state.loss)) {  // the training loss after the step shown
      svg.append(el("circle", {class: "chart-viewing-loss", cx: x(state.viewing), cy: y(state.loss), r: 3,
        fill: TRAIN_COLOUR, stroke: "white"}));
    }
  }
  svg.append(curveLegend(plot, test.length > 0, state));
  const now = (points) => (points.length ? fmt(points[points.length - 1][1]) : "–");
  svg.setAttribute("aria-label", `loss curve over ${state.steps} steps: training loss ${now(train)}`
    + (test.length ? `, test loss ${now(test)}` : ""));
}

// A dashed line at the step the page shows while it looks back, labelled with its step.
function viewingMarker(plot, at, step) {
  const g = el("g", {class: "chart-viewing-marker"});
  g.append(el("line", {class: "chart-viewing", x1: at, x2: at, y1: plot.top, y2: plot.bottom, stroke: "#1a202c",
    "stroke-dasharray": "3 2"}));
  const anchor = at > plot.right - 40 ? "end" : at < plot.left + 40 ? "start" : "middle";
  g.append(el("text", {class: "chart-note chart-viewing-label", x: at + (anchor === "start" ? 3 : anchor === "end" ? -3 : 0),
    y: plot.bottom - 4, "text-anchor": anchor, ...HALO}, `step ${step}`));
  return g;
}

// The curve's frame: loss ticks (log scale) on the left, step ticks below.
function curveAxes(plot, x, y, lastStep, lo, hi) {
  const g = el("g", {class: "chart-axes"});
  g.append(el("rect", {x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top,
    fill: "none", stroke: "#cbd5e0"}));
  for (const loss of logTicks(lo, hi, 4)) {
    const at = y(loss);
    g.append(el("line", {x1: plot.left - 3, x2: plot.right, y1: at, y2: at, stroke: "#e2e8f0"}));
    g.append(el("text", {class: "chart-tick chart-y-tick", x: plot.left - 5, y: at + 3, "text-anchor": "end"}, short(loss)));
  }
  const steps = linearTicks(0, lastStep, Math.max(2, Math.floor((plot.right - plot.left) / 60)))
    .filter((s) => Number.isInteger(s));
  for (const step of steps) {
    const at = x(step);
    g.append(el("line", {x1: at, x2: at, y1: plot.bottom, y2: plot.bottom + 3, stroke: "#718096"}));
    const anchor = at > plot.right - 12 ? "end" : "middle";  // the last label stays inside the picture
    g.append(el("text", {class: "chart-tick chart-x-tick", x: anchor === "end" ? at + 8 : at, y: plot.bottom + 13,
      "text-anchor": anchor}, step.toLocaleString("en")));
  }
  g.append(el("text", {class: "chart-note", x: plot.left, y: plot.top - 6}, "loss (log scale)"));
  return g;
}

// "training" and "test" in their colours, top right; each with its loss now as a tooltip.
function curveLegend(plot, withTest, state) {
  const g = el("g", {class: "chart-legend"});
  const entries = [["training", TRAIN_COLOUR, state.loss]];
  if (withTest) entries.push(["test", TEST_COLOUR, state.test_loss]);
  const widthOf = (name) => 15 + 6 * name.length + 8;  // a 12px line, a gap, the name (10px monospace)
  let left = plot.right - entries.reduce((sum, [name]) => sum + widthOf(name), 0) + 8;
  for (const [name, colour, value] of entries) {
    const item = el("g", {class: "chart-legend-item"});
    item.append(el("line", {x1: left, x2: left + 12, y1: plot.top - 9, y2: plot.top - 9, stroke: colour, "stroke-width": 2}));
    item.append(el("text", {x: left + 15, y: plot.top - 6}, name));
    item.append(el("title", {}, `${name} loss: ${fmt(value)}`));
    g.append(item);
    left += widthOf(name);
  }
  return g;
}

// ------------------------------------------------------------------------------------------------ the boundary
const PLOT = {size: 240, left: 46, top: 8, right: 10, bottom: 36};  // the map's square and the room around it

// The span a grid covers: the server samples a resolution x resolution grid at evenly spaced points from
// lo to hi (both included), so each sample is the centre of a cell and the picture reaches half a cell
// beyond lo and hi.
function extent([lo, hi], resolution) {
  const half = (hi - lo) / Math.max(1, resolution - 1) / 2;
  return [lo - half, hi + half];
}

// The figure's parts, made once and kept: a caption, the plot (the canvas with an svg over it for the axes
// and the points) and a key (the class legend or the neuron's colour scale).
function boundaryParts(box) {
  let plot = box.querySelector(".chart-plot");
  if (!plot) {
    const canvas = box.querySelector("canvas[data-testid=boundary]") || html("canvas", {"data-testid": "boundary"});
    plot = html("div", {class: "chart-plot"});
    plot.append(canvas, el("svg", {class: "chart-overlay"}));
    const caption = box.querySelector("figcaption") || html("figcaption");
    box.replaceChildren(caption, plot, html("div", {class: "chart-key"}));
  }
  return {
    caption: box.querySelector("figcaption"),
    canvas: plot.querySelector("canvas"),
    overlay: plot.querySelector("svg"),
    key: box.querySelector(".chart-key"),
    plot,
  };
}

// The decision boundary of a 2-D classifier: each point of the input plane coloured by the class the
// network predicts there (paler where it is unsure, for two classes), the data on top (filled dots are
// training rows, rings test rows) and a legend of the classes. With `focus` naming a neuron, that neuron's
// map instead, in the neuron scale, with the scale's key.
export function drawBoundary(box, state, focus) {
  const boundary = state.boundary;
  box.hidden = !(state.two_d && boundary);
  if (box.hidden) return;
  const parts = boundaryParts(box);
  const map = focus && state.maps && state.maps.neurons[focus];
  const grid = map ? {...state.maps, ...map} : boundary;
  const size = PLOT.size, width = PLOT.left + size + PLOT.right, height = PLOT.top + size + PLOT.bottom;
  Object.assign(parts.plot.style, {width: `${width}px`, height: `${height}px`});
  Object.assign(parts.canvas.style, {left: `${PLOT.left}px`, top: `${PLOT.top}px`, width: `${size}px`, height: `${size}px`});
  parts.overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
  parts.overlay.setAttribute("width", width);
  parts.overlay.setAttribute("height", height);

  const table = map ? neuronBytes(map.lo, map.hi) : BOUNDARY_BYTES[boundary.kind === "two" ? "two" : "many"];
  paintGrid(parts.canvas, bytesOf(grid.data), grid.resolution, table);
  parts.canvas.dataset.showing = map ? focus : "boundary";
  parts.canvas.setAttribute("role", "img");
  parts.canvas.setAttribute("aria-label", map ? `${focus}'s output over the input plane, from ${short(map.lo)} (orange) `
    + `to ${short(map.hi)} (blue)` : `the class the network predicts over the input plane: ${classList(state.classes)}`);

  const xs = extent(grid.x, grid.resolution), ys = extent(grid.y, grid.resolution);
  const x = (v) => PLOT.left + ((v - xs[0]) / (xs[1] - xs[0])) * size;
  const y = (v) => PLOT.top + size - ((v - ys[0]) / (ys[1] - ys[0])) * size;
  parts.overlay.replaceChildren(planeAxes(xs, ys, x, y, boundary.axes || state.features || ["x1", "x2"]),
    dataPoints(boundary.points, x, y, xs, ys, state.classes));
  if (map) {
    parts.caption.textContent = `${focus}: its output over the input plane`;
    parts.key.replaceChildren(scaleBar(map.lo, map.hi));
  } else {
    parts.caption.textContent = boundary.kind === "two"
      ? "decision boundary: the class the network predicts (paler where unsure)"
      : "decision boundary: the class the network predicts";
    const withTest = (boundary.points || []).some((p) => p[3]);
    parts.key.replaceChildren(classLegend(state.classes.length ? state.classes : boundary.classes, withTest));
  }
}

// "0 in orange, 1 in blue": each class with its colour's name, for a screen reader.
const classList = (classes) => classes.map((name, k) => `${name} in ${COLOUR_NAMES[k % COLOUR_NAMES.length]}`).join(", ");

// The plane's axes in the features' own (raw) units: ticks and each feature's name.
function planeAxes(xs, ys, x, y, [xName, yName]) {
  const g = el("g", {class: "chart-axes"});
  const bottom = PLOT.top + PLOT.size, left = PLOT.left;
  g.append(el("rect", {x: left, y: PLOT.top, width: PLOT.size, height: PLOT.size, fill: "none", stroke: "#a0aec0"}));
  for (const v of linearTicks(xs[0], xs[1], 5)) {
    g.append(el("line", {x1: x(v), x2: x(v), y1: bottom, y2: bottom + 4, stroke: "#718096"}));
    g.append(el("text", {class: "chart-tick chart-x-tick", x: x(v), y: bottom + 14, "text-anchor": "middle"}, short(v)));
  }
  for (const v of linearTicks(ys[0], ys[1], 5)) {
    g.append(el("line", {x1: left - 4, x2: left, y1: y(v), y2: y(v), stroke: "#718096"}));
    g.append(el("text", {class: "chart-tick chart-y-tick", x: left - 6, y: y(v) + 3, "text-anchor": "end"}, short(v)));
  }
  g.append(el("text", {class: "chart-axis-title chart-x-title", x: left + PLOT.size / 2, y: bottom + 30,
    "text-anchor": "middle"}, xName));
  const yMid = PLOT.top + PLOT.size / 2;
  g.append(el("text", {class: "chart-axis-title chart-y-title", x: 11, y: yMid, "text-anchor": "middle",
    transform: `rotate(-90 11 ${yMid})`}, yName));
  return g;
}

// The data rows in their class colours with a dark outline: training rows as filled dots, test rows as
// rings (hollow), so the eye can tell the rows the network learns from from the rows it is tested on.
function dataPoints(points, x, y, xs, ys, classes) {
  const g = el("g", {class: "chart-points"});
  for (const [px, py, k, isTest] of points || []) {
    if (px < xs[0] || px > xs[1] || py < ys[0] || py > ys[1]) continue;
    const colour = css(classColour(k)), at = {cx: x(px).toFixed(1), cy: y(py).toFixed(1)};
    const title = el("title", {}, `${classes[k] ?? `class ${k}`}${isTest ? " (test row)" : ""}: (${short(px)}, ${short(py)})`);
    if (isTest) {
      const ring = el("g", {class: "chart-point chart-test-point"});
      ring.append(el("circle", {...at, r: 3.6, fill: "none", stroke: "#1a202c", "stroke-width": 3.4}));
      ring.append(el("circle", {...at, r: 3.6, fill: "none", stroke: colour, "stroke-width": 1.8}), title);
      g.append(ring);
    } else {
      const dot = el("circle", {...at, r: 3.2, fill: colour, stroke: "#1a202c", "stroke-width": 0.9,
        class: "chart-point chart-train-point"});
      dot.append(title);
      g.append(dot);
    }
  }
  return g;
}

// The legend: each class's name beside its colour (the dots' colour; the background shows it paler), and
// when some rows are held out, which mark is a training row and which a test row.
function classLegend(classes, withTest) {
  const list = html("ul", {class: "chart-legend"});
  classes.forEach((name, k) => {
    const item = html("li", {class: "chart-legend-item"});
    item.append(html("span", {class: "chart-swatch", style: `background: ${css(classColour(k))}`}),
      html("span", {class: "chart-legend-name"}, name));
    list.append(item);
  });
  if (withTest) {
    for (const [mark, label] of [["chart-swatch chart-row-train", "training row"], ["chart-swatch chart-row-test", "test row"]]) {
      const item = html("li", {class: "chart-legend-item chart-legend-rows"});
      item.append(html("span", {class: mark}), html("span", {}, label));
      list.append(item);
    }
  }
  return list;
}

// The neuron scale as a bar from lo (left) to hi (right), with both values.
function scaleBar(lo, hi) {
  const bar = html("div", {class: "chart-scale", title: "the neuron's output: orange low or negative, blue high or positive"});
  bar.append(html("span", {class: "chart-scale-lo"}, short(lo)),
    html("span", {class: "chart-scale-bar", style: `background: ${scaleGradient(lo, hi)}`}),
    html("span", {class: "chart-scale-hi"}, short(hi)));
  return bar;
}

// ------------------------------------------------------------------------------------------------ neuron maps
// Each hidden and output neuron's map, drawn inside its circle, as TensorFlow Playground does: what the
// neuron outputs at every point of the input plane (the same plane as the boundary), orange low or
// negative, white zero, blue high or positive. A hidden neuron's map shows the feature it has learned; the
// output neurons' maps add up to the decision boundary.
//
// Each map is a tiny image file made right here: an 8-bit BMP is exactly what the server sends, a grid of
// bytes stored row by row from the bottom, plus a palette of 256 colours, here the neuron scale over its
// [lo, hi]. No canvas and no PNG compression: a few times cheaper than a canvas's toDataURL, so that a
// 4 x 16 network's 66 maps are made anew every frame in a few milliseconds.
const mapImages = new Map();  // "lo,hi,resolution,data" -> data URL: an unchanged map is not made again
const palettes = new Map();  // "lo,hi" -> the BMP palette of the neuron scale, as a binary string

// The little-endian bytes of an unsigned integer, as a binary string.
const le = (value, size) => String.fromCharCode(...Array.from({length: size}, (_, k) => (value >>> (8 * k)) & 255));

function bmpPalette(lo, hi) {
  const key = `${lo},${hi}`;
  if (!palettes.has(key)) {
    const rgba = neuronBytes(lo, hi);
    let text = "";
    for (let b = 0; b < 256; b++) text += String.fromCharCode(rgba[4 * b + 2], rgba[4 * b + 1], rgba[4 * b], 0);  // B, G, R, 0
    palettes.set(key, text);
  }
  return palettes.get(key);
}

// A neuron's map as a BMP data URL, made once per distinct map.
function mapImage(map, resolution) {
  const key = `${map.lo},${map.hi},${resolution},${map.data}`;
  let url = mapImages.get(key);
  if (!url) {
    const grid = atob(map.data), stride = Math.ceil(resolution / 4) * 4;  // a BMP row is a multiple of 4 bytes
    let pixels = grid;
    if (stride !== resolution) {
      pixels = "";
      for (let row = 0; row < resolution; row++) {
        pixels += grid.slice(row * resolution, (row + 1) * resolution).padEnd(stride, "\0");
      }
    }
    const offset = 14 + 40 + 1024;  // file header, info header, palette
    const file = "BM" + le(offset + pixels.length, 4) + le(0, 4) + le(offset, 4)
      + le(40, 4) + le(resolution, 4) + le(resolution, 4) + le(1, 2) + le(8, 2)  // bottom-up rows, 8 bits a pixel
      + le(0, 4) + le(pixels.length, 4) + le(2835, 4) + le(2835, 4) + le(256, 4) + le(0, 4)
      + bmpPalette(map.lo, map.hi) + pixels;
    url = `data:image/bmp;base64,${btoa(file)}`;
    if (mapImages.size > 1000) mapImages.clear();  // a long run: keep the memory bounded
    mapImages.set(key, url);
  }
  return url;
}

// One clip for every map in a picture: a circle in the image's own box (objectBoundingBox units), a
// little inside the neuron's outline so the outline stays visible.
let clipCount = 0;
function circleClip(svg) {
  let clip = svg.querySelector(":scope > defs > clipPath.chart-map-clip");
  if (!clip) {
    clip = el("clipPath", {id: `${svg.id || "network"}-map-clip-${++clipCount}`, class: "chart-map-clip",
      clipPathUnits: "objectBoundingBox"});
    clip.append(el("circle", {cx: 0.5, cy: 0.5, r: 0.47}));
    const defs = svg.querySelector(":scope > defs") || el("defs");
    defs.append(clip);
    svg.prepend(defs);
  }
  return clip.id;
}

function halo(text, on) {
  text.classList.toggle("chart-on-map", on);
  for (const [k, v] of Object.entries(HALO)) on ? text.setAttribute(k, v) : text.removeAttribute(k);
}

// Put each neuron's map into its circle in the network picture `svg` (groups g[data-neuron=NAME], each
// with a circle and its name): an image clipped to the circle, right after the circle, so the name stays
// on top (with a white halo to read it over any colour). Drawing again replaces the maps.
export function drawNeuronMaps(svg, state) {
  for (const old of svg.querySelectorAll("image.chart-neuron-map")) old.remove();
  for (const text of svg.querySelectorAll(".chart-on-map")) halo(text, false);
  const maps = state.maps;
  if (!maps || !state.two_d) return;
  const clip = `url(#${circleClip(svg)})`;
  for (const group of svg.querySelectorAll("g[data-neuron]")) {
    const name = group.dataset.neuron, map = maps.neurons[name], circle = group.querySelector("circle");
    if (!map || !circle) continue;  // an input, or a neuron the picture leaves out
    const cx = Number(circle.getAttribute("cx")), cy = Number(circle.getAttribute("cy"));
    const r = Number(circle.getAttribute("r"));
    const image = el("image", {
      class: "chart-neuron-map", "data-testid": `neuron-map-${name}`, href: mapImage(map, maps.resolution),
      x: cx - r, y: cy - r, width: 2 * r, height: 2 * r, preserveAspectRatio: "none", "clip-path": clip,
      style: "image-rendering: pixelated",
    });
    // the image covers the circle, so its tooltip also carries the neuron's own (its values, its bias)
    const own = group.querySelector(":scope > title");
    const about = `${name}: its output over the input plane (${short(map.lo)} … ${short(map.hi)})`;
    image.append(el("title", {}, own ? `${about}\n${own.textContent}` : about));
    circle.after(image);
    for (const text of group.querySelectorAll("text")) if (text.textContent === name) halo(text, true);
  }
}
