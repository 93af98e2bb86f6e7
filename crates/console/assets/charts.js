// fjord console charts: time-series line charts drawn on <canvas>, no libraries.
// drawChart(canvas, [{name, color, points: [[unixMs, value], ...]}], {unit}) renders a
// chart with a y axis (nice ticks), time labels and a legend, sharp on HiDPI screens.
"use strict";

const CHART_COLORS = ["#2563eb", "#16a34a", "#d97706", "#db2777", "#7c3aed", "#0891b2", "#dc2626", "#65a30d"];

function formatNumber(value, unit) {
  const abs = Math.abs(value);
  const trim = (n) => String(Number(n.toFixed(1)));
  const scaled = abs >= 1e9 ? trim(value / 1e9) + "G" : abs >= 1e6 ? trim(value / 1e6) + "M"
    : abs >= 1e3 ? trim(value / 1e3) + "k" : abs >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(2);
  return unit ? `${scaled} ${unit}` : scaled;
}

function niceStep(range, ticks) {
  const raw = range / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function drawChart(canvas, series, options) {
  const opts = options || {};
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 220;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const muted = style.getPropertyValue("--muted").trim() || "#64748b";
  const border = style.getPropertyValue("--border").trim() || "#e2e8f0";
  ctx.font = "11px system-ui, sans-serif";

  const all = series.flatMap((s) => s.points);
  const pad = { left: 52, right: 14, top: 22, bottom: 24 };
  if (all.length === 0) {
    ctx.fillStyle = muted;
    ctx.textAlign = "center";
    ctx.fillText(opts.empty || "Collecting samples…", width / 2, height / 2);
    return;
  }
  const now = Date.now();
  const tMin = Math.min(...all.map((p) => p[0]), now - (opts.spanMs || 2 * 60 * 1000));
  const tMax = Math.max(...all.map((p) => p[0]), now);
  let vMax = Math.max(...all.map((p) => p[1]), 0);
  if (vMax <= 0) vMax = 1;
  const step = niceStep(vMax, 4);
  vMax = Math.ceil(vMax / step) * step;
  // Room for the widest y label, so "1.5M B/s" is never clipped.
  pad.left = Math.max(40, Math.ceil(ctx.measureText(formatNumber(vMax, opts.unit)).width) + 12);
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (t) => pad.left + ((t - tMin) / Math.max(1, tMax - tMin)) * plotW;
  const y = (v) => pad.top + plotH - (v / vMax) * plotH;
  const short = tMax - tMin < 15 * 60 * 1000;

  ctx.strokeStyle = border;
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = 0; v <= vMax + step / 2; v += step) {
    const yy = Math.round(y(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(pad.left, yy); ctx.lineTo(width - pad.right, yy); ctx.stroke();
    ctx.fillText(formatNumber(v, opts.unit), pad.left - 6, yy);
  }
  ctx.textBaseline = "top";
  const ticks = width < 500 ? 2 : 4;
  for (let i = 0; i <= ticks; i++) {
    const t = tMin + ((tMax - tMin) * i) / ticks;
    const label = new Date(t).toLocaleTimeString([], short ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
    ctx.textAlign = i === 0 ? "left" : i === ticks ? "right" : "center";
    ctx.fillText(label, x(t), height - pad.bottom + 6);
  }
  let legendX = pad.left;
  series.forEach((s, index) => {
    const color = s.color || CHART_COLORS[index % CHART_COLORS.length];
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.lineJoin = "round";
    ctx.beginPath();
    s.points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p[0]), y(p[1])) : ctx.lineTo(x(p[0]), y(p[1]))));
    ctx.stroke();
    if (s.points.length === 1) {
      ctx.fillStyle = color;
      ctx.beginPath(); ctx.arc(x(s.points[0][0]), y(s.points[0][1]), 3, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.fillStyle = color;
    ctx.fillRect(legendX, 6, 10, 10);
    ctx.fillStyle = muted;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    const last = s.points.length ? formatNumber(s.points[s.points.length - 1][1], opts.unit) : "–";
    const text = `${s.name} (${last})`;
    ctx.fillText(text, legendX + 14, 5);
    legendX += ctx.measureText(text).width + 30;
  });
}

window.drawChart = drawChart;
window.formatNumber = formatNumber;
