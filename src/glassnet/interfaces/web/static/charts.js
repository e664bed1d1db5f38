// A stand-in for the charts module (drawn by another part of issue 13) until it lands: the page imports
// these three functions and works without them.
export function drawCurve(svg, state) {}
export function drawBoundary(box, state, focus) {}
export function drawNeuronMaps(svg, state) {}
