// laotie console: charts, the mobile menu, live job progress and the trust queue's keys.
"use strict";

function initCharts(root) {
  if (!window.echarts) return;
  root.querySelectorAll(".chart[data-option]").forEach((el) => {
    if (el.dataset.ready) return;
    el.dataset.ready = "1";
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(JSON.parse(el.dataset.option));
    new ResizeObserver(() => chart.resize()).observe(el);
  });
}

function initMenu() {
  const button = document.querySelector(".menu");
  const nav = document.getElementById("nav");
  if (!button || !nav) return;
  button.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
}

function initJobStream() {
  const box = document.querySelector("[data-job-events]");
  if (!box || box.dataset.done === "1") return;
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-job-message]");
  const status = box.querySelector("[data-job-status]");
  const source = new EventSource(box.dataset.jobEvents);
  const show = (event) => {
    const job = JSON.parse(event.data);
    bar.value = job.progress;
    text.textContent = job.message || "";
    status.textContent = job.status;
    return job;
  };
  source.addEventListener("progress", show);
  source.addEventListener("done", (event) => {
    show(event);
    source.close();
    window.location.reload();
  });
  source.onerror = () => source.close();
}

function initTrustKeys() {
  const queue = document.querySelector(".queue[data-keys]");
  if (!queue) return;
  const keys = { a: "allow", d: "demote", b: "block" };
  const entries = () => Array.from(queue.querySelectorAll("li[data-item]"));
  const select = (li) => {
    entries().forEach((e) => e.removeAttribute("aria-current"));
    if (li) { li.setAttribute("aria-current", "true"); li.focus(); }
  };
  select(entries()[0]);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const list = entries();
    const current = queue.querySelector('li[aria-current="true"]') || list[0];
    const index = list.indexOf(current);
    const key = event.key.toLowerCase();
    if (key === "j") { select(list[Math.min(index + 1, list.length - 1)]); event.preventDefault(); }
    else if (key === "k") { select(list[Math.max(index - 1, 0)]); event.preventDefault(); }
    else if (keys[key] && current) {
      const button = current.querySelector(`button[value="${keys[key]}"]`);
      if (button) { button.click(); event.preventDefault(); }
    }
  });
  document.body.addEventListener("htmx:afterSwap", () => select(entries()[0]));
}

document.addEventListener("DOMContentLoaded", () => {
  initMenu();
  initCharts(document);
  initJobStream();
  initTrustKeys();
});
document.addEventListener("htmx:afterSettle", (event) => initCharts(event.target));
