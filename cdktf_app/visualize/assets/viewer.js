// Pan (drag), zoom (wheel, +/-), search (highlights and centres matches), click a node for its details.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("nexus-graph").textContent);
  var svg = document.getElementById("canvas");
  var details = document.getElementById("details");
  var search = document.getElementById("search");
  var full = { x: -data.margin, y: -data.margin, w: data.width, h: data.height };
  var view = { x: full.x, y: full.y, w: full.w, h: full.h };

  function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  function fit(box) {
    var rect = svg.getBoundingClientRect();
    var scale = Math.max(box.w / rect.width, box.h / rect.height);
    view.w = rect.width * scale; view.h = rect.height * scale;
    view.x = box.x - (view.w - box.w) / 2; view.y = box.y - (view.h - box.h) / 2;
    apply();
  }
  function zoom(factor, cx, cy) {
    view.x = cx - (cx - view.x) * factor; view.y = cy - (cy - view.y) * factor;
    view.w *= factor; view.h *= factor; apply();
  }
  function toGraph(event) {
    var rect = svg.getBoundingClientRect();
    return { x: view.x + (event.clientX - rect.left) / rect.width * view.w,
             y: view.y + (event.clientY - rect.top) / rect.height * view.h };
  }

  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var point = toGraph(event);
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, point.x, point.y);
  }, { passive: false });

  var drag = null;
  svg.addEventListener("pointerdown", function (event) {
    drag = { x: event.clientX, y: event.clientY, view: { x: view.x, y: view.y }, moved: false };
    svg.classList.add("panning");
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var rect = svg.getBoundingClientRect();
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.view.x - dx / rect.width * view.w; view.y = drag.view.y - dy / rect.height * view.h; apply();
  });
  window.addEventListener("pointerup", function () { svg.classList.remove("panning"); setTimeout(function () { drag = null; }, 0); });

  function text(tag, content, cls) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (cls) element.className = cls;
    return element;
  }
  function show(id) {
    var node = data.nodes[id];
    document.querySelectorAll(".node.selected").forEach(function (el) { el.classList.remove("selected"); });
    var element = document.querySelector('.node[data-id="' + CSS.escape(id) + '"]');
    if (element) element.classList.add("selected");
    var component = node.kind === "component";
    details.replaceChildren(text("h2", component ? node.component : node.address));
    var spec = node.component ? node.component + " — " + (node.spec_path || "") +
      (node.spec_line ? " (" + (data.spec_file || "spec") + ":" + node.spec_line + ")" : "") : "not from a spec";
    var list = document.createElement("dl");
    (component ? [["Type", node.type], ["Cloud", node.provider], ["Environments", node.environments.join(", ")],
                  ["Boundary", node.boundary], ["Spec", spec]].concat(node.summary.slice(1).map(function (line) { return ["", line]; }))
               : [["Type", node.type], ["Stack", node.stack], ["Provider", node.provider], ["Tier", node.tier],
                  ["Instances", String(node.instances)], ["Spec", spec]]
    ).forEach(function (pair) { list.appendChild(text("dt", pair[0])); list.appendChild(text("dd", pair[1])); });
    details.appendChild(list);
    details.appendChild(text("h3", "Findings from the last check (" + node.findings.length + ")"));
    if (!node.findings.length) details.appendChild(text("p", data.findings_known ? "none" : "no check has run", "hint"));
    node.findings.forEach(function (finding) {
      var box = text("div", "", "finding");
      box.appendChild(text("strong", (finding.severity || "") + " " + (finding.check_id || "")));
      box.appendChild(text("div", finding.check_name || finding.title || finding.message || ""));
      if (component) box.appendChild(text("div", (finding.stack ? finding.stack + "/" : "") + finding.address));
      if (finding.controls && finding.controls.length) box.appendChild(text("div", "controls: " + finding.controls.join(", ")));
      if (finding.file) box.appendChild(text("div", finding.file + (finding.line ? ":" + finding.line : "")));
      if (finding.fix && finding.fix.edit) box.appendChild(text("div", "fix (" + finding.fix.safety + "): " + finding.fix.edit));
      details.appendChild(box);
    });
    if (component) {
      details.appendChild(text("h3", "Resources (" + node.resources.length + ")"));
      var resources = document.createElement("ul");
      resources.className = "resources";
      node.resources.forEach(function (resource) {
        resources.appendChild(text("li", resource.stack + "/" + resource.address +
          (resource.findings ? " — " + resource.findings + " finding" + (resource.findings > 1 ? "s" : "") : "")));
      });
      details.appendChild(resources);
    }
    details.appendChild(text("h3", component ? "Settings in the spec" : "Attributes"));
    details.appendChild(text("pre", JSON.stringify(node.attributes, null, 2)));
  }

  document.querySelectorAll(".node").forEach(function (element) {
    element.addEventListener("click", function () { if (!drag || !drag.moved) show(element.dataset.id); });
  });

  function runSearch() {
    var term = search.value.trim().toLowerCase();
    var matches = [];
    document.querySelectorAll(".node").forEach(function (element) {
      var hit = term && data.nodes[element.dataset.id].search.indexOf(term) >= 0;
      element.classList.toggle("match", !!hit);
      element.classList.toggle("dimmed", !!term && !hit);
      if (hit) matches.push(data.boxes[element.dataset.id]);
    });
    document.getElementById("count").textContent = term ? matches.length + " match" + (matches.length === 1 ? "" : "es") : "";
    if (matches.length) {
      var left = Math.min.apply(null, matches.map(function (b) { return b[0]; }));
      var top = Math.min.apply(null, matches.map(function (b) { return b[1]; }));
      var right = Math.max.apply(null, matches.map(function (b) { return b[0] + b[2]; }));
      var bottom = Math.max.apply(null, matches.map(function (b) { return b[1] + b[3]; }));
      fit({ x: left - 80, y: top - 80, w: right - left + 160, h: bottom - top + 160 });
    }
  }
  search.addEventListener("input", runSearch);
  document.getElementById("fit").addEventListener("click", function () { fit(full); });
  window.addEventListener("keydown", function (event) {
    if (event.target === search) return;
    var centre = { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    if (event.key === "+" || event.key === "=") zoom(1 / 1.25, centre.x, centre.y);
    if (event.key === "-") zoom(1.25, centre.x, centre.y);
    if (event.key === "0") fit(full);
  });
  fit(full);
})();
