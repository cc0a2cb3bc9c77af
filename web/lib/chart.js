/* Bar charts drawn as inline SVG: no library, no inline style, text as text nodes. Each chart
 * is one role="img" with a label that sums it up, and each bar carries a <title> tooltip; the
 * console also lists the same numbers as text. */

import { svg } from "./dom.js";

/** Columns for counts over time: `points` are {key, count} in order (days). */
export function columnChart(points, label) {
  const width = 640;
  const height = 180;
  const top = 18;
  const bottom = 24;
  const max = Math.max(1, ...points.map((p) => p.count));
  const slot = width / Math.max(1, points.length);
  const bar = Math.max(2, Math.min(40, slot * 0.7));
  const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": label, class: "chart columns" });
  chart.append(svg("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "axis" }));
  points.forEach((point, i) => {
    const h = Math.max(point.count ? 2 : 0, ((height - top - bottom) * point.count) / max);
    const x = i * slot + (slot - bar) / 2;
    chart.append(svg("rect", { x: x.toFixed(1), y: (height - bottom - h).toFixed(1), width: bar.toFixed(1), height: h.toFixed(1), class: "bar" }, [
      svg("title", { text: point.key + ": " + point.count })
    ]));
  });
  if (points.length) {
    chart.append(svg("text", { x: 2, y: height - 6, class: "tick", text: points[0].key }));
    if (points.length > 1) chart.append(svg("text", { x: width - 2, y: height - 6, "text-anchor": "end", class: "tick", text: points[points.length - 1].key }));
  }
  chart.append(svg("text", { x: 2, y: 12, class: "tick", text: String(max) }));
  return chart;
}

/** Horizontal bars for counts by key, most first; `rtl` mirrors them (labels on the right). */
export function barChart(items, label, rtl) {
  const width = 640;
  const row = 26;
  const labelWidth = 220;
  const height = Math.max(row, items.length * row);
  const max = Math.max(1, ...items.map((item) => item.count));
  const room = width - labelWidth - 50;
  const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "aria-label": label, class: "chart bars" });
  items.forEach((item, i) => {
    const y = i * row;
    const w = Math.max(2, (room * item.count) / max);
    const x = rtl ? width - labelWidth - w : labelWidth;
    const name = item.key.length > 28 ? item.key.slice(0, 27) + "…" : item.key;
    chart.append(
      svg("text", { x: rtl ? width - 4 : 4, y: y + 17, "text-anchor": rtl ? "end" : "start", class: "label", text: name }, [svg("title", { text: item.key })]),
      svg("rect", { x: x.toFixed(1), y: y + 5, width: w.toFixed(1), height: row - 10, class: "bar" }, [svg("title", { text: item.key + ": " + item.count })]),
      svg("text", { x: rtl ? (x - 6).toFixed(1) : (x + w + 6).toFixed(1), y: y + 17, "text-anchor": rtl ? "end" : "start", class: "count", text: String(item.count) })
    );
  });
  return chart;
}
