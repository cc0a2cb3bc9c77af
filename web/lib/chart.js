/* Charts without a library or inline style, text as text nodes: columns over time in SVG, bars
 * by key in HTML. Each chart is one role="img" with a label that sums it up, and each bar
 * carries a tooltip; the console also lists the same numbers as text for screen readers.
 *
 * Positions are percentages of the chart's width and pixels of its height, so the charts
 * stretch to any width while their text keeps the page's font size. */

import { el, svg } from "./dom.js";

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

/** Horizontal bars for counts by key, most first, as rows of HTML: the name in a column of its
 * own that wraps (a long topic never runs over the bars, at any width or zoom), then the bar and
 * its count. The page's direction lays the columns out, so Arabic mirrors them by itself. */
export function barChart(items, label) {
  const max = Math.max(1, ...items.map((item) => item.count));
  const chart = el("div", { role: "img", "aria-label": label, class: "chart bars" });
  for (const item of items) {
    const fill = el("span", { class: "bar" });
    fill.style.width = pct(Math.max(0.5, (100 * item.count) / max)); // CSSOM: allowed by the CSP
    chart.append(el("div", { class: "bar-row", title: item.key + ": " + item.count }, [
      el("span", { class: "label", dir: "auto", text: item.key }),
      el("span", { class: "track" }, [fill]),
      el("span", { class: "count", text: String(item.count) })
    ]));
  }
  return chart;
}
