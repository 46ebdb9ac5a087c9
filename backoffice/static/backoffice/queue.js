/* The queue's map beside the list (backoffice/templates/backoffice/queue.html): this page's
 * issues coloured by priority, late ones ringed; a click opens the issue. */
(function () {
  "use strict";

  // Leaflet puts a string tooltip in as HTML: the label (an address, a category) goes in as text.
  function textNode(text) {
    const node = document.createElement("span");
    node.textContent = text;
    return node;
  }

  const config = JSON.parse(document.getElementById("queue-side-config").textContent);
  const container = document.getElementById("queue-side-map");
  if (!container || typeof L === "undefined") return;
  const map = L.map(container);
  L.tileLayer(config.tileUrl, {
    attribution: config.tileAttribution,
    subdomains: config.tileSubdomains,
    maxZoom: 19,
  }).addTo(map);
  const markers = config.issues.map((issue) =>
    L.circleMarker([issue.lat, issue.lon], {
      radius: 7,
      color: issue.late ? "#111827" : "#ffffff",
      weight: issue.late ? 3 : 1,
      fillColor: issue.colour,
      fillOpacity: 0.9,
      className: "queue-side-marker" + (issue.late ? " late" : ""),
    })
      .bindTooltip(textNode(issue.label))
      .on("click", () => window.location.assign(issue.url))
      .addTo(map)
  );
  if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds(), { padding: [20, 20], maxZoom: 17 });
  else if (config.bounds) map.fitBounds(config.bounds);
  else map.setView(config.centre, config.zoom);
  container.dataset.ready = "true";
})();
