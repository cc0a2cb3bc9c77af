/* Bar charts drawn as inline SVG: no library, no inline style, text as text nodes. Each chart
 * is one role="img" with a label that sums it up, and each bar carries a <title> tooltip; the
 * console also lists the same numbers as text for screen readers.
 *
 * Positions are percentages of the chart's width and pixels of its height, so the charts
 * stretch to any width while their text keeps the page's font size. */

import { svg } from "./dom.js";

const pct = (value) => value.toFixed(2) + "%";

/** Columns for counts over time: `points` are {key, count} in order (days). */
export function columnChart(points, label) {
  const height = 180;
  const top = 20;
  const bottom = 26;
  const max = Math.max(1, ...points.map((p) => p.count));
  const slots = Math.max(points.length, 14); // a few days still get narrow columns
  const slot = 100 / slots;
  const start = ((slots - points.length) / 2) * slot;
  const chart = svg("svg", { width: "100%", height, role: "img", "aria-label": label, class: "chart columns" });
  chart.append(svg("line", { x1: "0", x2: "100%", y1: height - bottom, y2: height - bottom, class: "axis" }));
  points.forEach((point, i) => {
    const h = Math.max(point.count ? 2 : 0, ((height - top - bottom) * point.count) / max);
    chart.append(svg("rect", { x: pct(start + i * slot + slot * 0.15), y: (height - bottom - h).toFixed(1), width: pct(slot * 0.7), height: h.toFixed(1), class: "bar" }, [
      svg("title", { text: point.key + ": " + point.count })
    ]));
  });
  if (points.length) {
    chart.append(svg("text", { x: pct(start), y: height - 8, class: "tick", text: points[0].key }));
    if (points.length > 1) chart.append(svg("text", { x: pct(start + points.length * slot), y: height - 8, "text-anchor": "end", class: "tick", text: points[points.length - 1].key }));
  }
  chart.append(svg("text", { x: "0", y: 14, class: "tick", text: String(max) }));
  return chart;
}

/** Horizontal bars for counts by key, most first; `rtl` mirrors them (labels on the right). */
export function barChart(items, label, rtl) {
  const row = 28;
  const labelShare = 40; // % of the width for the names
  const room = 100 - labelShare - 12; // % left for the longest bar, beside its count
  const max = Math.max(1, ...items.map((item) => item.count));
  const chart = svg("svg", { width: "100%", height: Math.max(row, items.length * row), role: "img", "aria-label": label, class: "chart bars" });
  const at = (x) => pct(rtl ? 100 - x : x);
  items.forEach((item, i) => {
    const y = i * row;
    const w = Math.max(0.5, (room * item.count) / max);
    const name = item.key.length > 24 ? item.key.slice(0, 23) + "…" : item.key;
    chart.append(
      svg("text", { x: at(0.5), y: y + 18, "text-anchor": rtl ? "end" : "start", class: "label", text: name }, [svg("title", { text: item.key })]),
      svg("rect", { x: pct(rtl ? 100 - labelShare - w : labelShare), y: y + 6, width: pct(w), height: row - 12, class: "bar" }, [svg("title", { text: item.key + ": " + item.count })]),
      svg("text", { x: at(labelShare + w + 1.5), y: y + 18, "text-anchor": rtl ? "end" : "start", class: "count", text: String(item.count) })
    );
  });
  return chart;
}
