/* The coordinator's queue map: the department's open issues coloured by priority, late ones
 * ringed, today's crew routes as lines with numbered stops, the crews' depots. Clicking an issue opens it in the
 * back office. Everything comes with the page (#queue-config); filters act in the browser.
 */
(function () {
  "use strict";

  // Legend swatches carry their colour as data: the content security policy forbids inline
  // style attributes, not styles set from a script.
  document.querySelectorAll("[data-swatch]").forEach((node) => {
    node.style.background = node.dataset.swatch;
  });

  const config = JSON.parse(document.getElementById("queue-config").textContent);
  const map = L.map("queue-map");
  const issuesLayer = L.layerGroup().addTo(map);
  const routesLayer = L.layerGroup().addTo(map);
  const status = document.getElementById("queue-status");
  const category = document.getElementById("queue-category");
  const lowest = document.getElementById("queue-priority");
  const lateOnly = document.getElementById("queue-late");

  L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 })
    .on("tileerror", function () { map.getContainer().classList.add("map-no-tiles"); })
    .addTo(map);

  function draw() {
    issuesLayer.clearLayers();
    let shown = 0;
    config.issues.forEach(function (issue) {
      if (category.value && issue.category !== category.value) return;
      if (issue.priority < Number(lowest.value)) return;
      if (lateOnly.checked && !issue.late) return;
      shown += 1;
      const label = issue.label + ", " + interpolate(gettext("priority %s"), [issue.priority]) +
        (issue.late ? ", " + gettext("late") : "");
      const icon = L.divIcon({
        className: "queue-marker" + (issue.late ? " queue-late" : "") + (issue.emergency ? " queue-emergency" : ""),
        iconSize: [20, 20],
      });
      const marker = L.marker([issue.lat, issue.lon], { icon: icon, title: label, alt: label, keyboard: true });
      marker.on("add", function () {
        const node = marker.getElement();
        node.style.setProperty("--colour", issue.colour);
        node.setAttribute("role", "link");
        node.setAttribute("aria-label", label);
        node.dataset.issue = issue.id;
      });
      marker.on("click", function () { window.location.assign(issue.url); });
      marker.on("keypress", function (event) {
        if (event.originalEvent.key === "Enter") window.location.assign(issue.url);
      });
      issuesLayer.addLayer(marker);
    });
    status.textContent = interpolate(ngettext("%s issue shown.", "%s issues shown.", shown), [shown]);
  }

  // Leaflet puts a string tooltip in as HTML: crew and depot names go in as text.
  function textNode(text) {
    const node = document.createElement("span");
    node.textContent = text;
    return node;
  }

  config.routes.forEach(function (route) {
    const colour = route.colour;
    L.polyline(route.line, { color: colour, weight: 4, opacity: 0.8 })
      .bindTooltip(textNode(route.crew))
      .addTo(routesLayer);
    route.stops.forEach(function (stop) {
      const label = interpolate(gettext("%(crew)s, stop %(n)s"), { crew: route.crew, n: stop.n }, true);
      L.marker([stop.lat, stop.lon], {
        // Beside the issue's own marker (above right), so that both can be clicked.
        icon: L.divIcon({ className: "route-stop", html: "<span>" + stop.n + "</span>", iconSize: [20, 20], iconAnchor: [-6, 26] }),
        title: label,
        alt: label,
        zIndexOffset: 1000,
      }).on("add", function (event) {
        event.target.getElement().style.setProperty("--colour", colour);
        // Black or white, whichever reads on the route's colour (chosen on the server).
        event.target.getElement().style.setProperty("--on-colour", route.text);
      }).on("click", function () { window.location.assign(stop.url); }).addTo(routesLayer);
    });
  });

  config.depots.forEach(function (depot) {
    const label = interpolate(gettext("Depot %(name)s: %(crews)s"), { name: depot.name, crews: depot.crews.join(", ") }, true);
    L.marker([depot.lat, depot.lon], {
      icon: L.divIcon({ className: "depot-marker", html: "<span aria-hidden=\"true\">D</span>", iconSize: [22, 22] }),
      title: label,
      alt: label,
      keyboard: false,
      zIndexOffset: 500,
    }).on("add", function (event) {
      event.target.getElement().setAttribute("aria-label", label);
    }).bindTooltip(textNode(label)).addTo(routesLayer);
  });

  [category, lowest, lateOnly].forEach((control) => control.addEventListener("change", draw));
  draw();
  const points = config.issues.map((i) => [i.lat, i.lon]);
  config.routes.forEach((route) => points.push(...route.line));
  config.depots.forEach((depot) => points.push([depot.lat, depot.lon]));
  if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 17 });
  else if (config.bounds) map.fitBounds(config.bounds);
  else map.setView(config.centre, config.zoom);
})();
