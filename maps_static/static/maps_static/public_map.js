/* The public open-issue map: clusters and markers for the visible area, asked from the server
 * (/map/viewport) at every move; the server groups issues by zoom. Strings come from Django's
 * JavaScript catalog (gettext, ngettext, interpolate). Built with DOM nodes, never innerHTML
 * from data.
 */
(function () {
  "use strict";

  // Legend swatches carry their colour as data: the content security policy forbids inline
  // style attributes, not styles set from a script.
  document.querySelectorAll("[data-swatch]").forEach((node) => {
    node.style.background = node.dataset.swatch;
  });

  const config = JSON.parse(document.getElementById("map-config").textContent);
  const element = window.SegnalaDom.element;
  const form = document.getElementById("map-filters");
  const status = document.getElementById("map-status");
  const listLink = document.getElementById("list-link");
  const map = L.map("public-map", { zoomControl: true });
  const layer = L.layerGroup().addTo(map);
  let pending = null;
  let tilesFailed = false;

  L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 })
    .on("tileerror", function () {
      if (!tilesFailed) {
        tilesFailed = true;
        map.getContainer().classList.add("map-no-tiles");
      }
    })
    .addTo(map);

  function filterQuery() {
    const query = new URLSearchParams();
    const category = form.elements.category.value;
    if (category) query.set("category", category);
    const statuses = Array.from(form.querySelectorAll("input[name=status]:checked")).map((i) => i.value);
    query.set("status", statuses.join(","));
    if (form.elements.closed.checked) query.set("closed", "1");
    return query;
  }

  function groupOf(categoryId) {
    const category = config.categories[categoryId];
    return category ? config.groups[category.group] : null;
  }

  function colourOf(categoryId) {
    const group = groupOf(categoryId);
    return group ? group.color : "#555555";
  }

  function clusterMarker(cell) {
    const size = cell.n < 10 ? 30 : cell.n < 100 ? 38 : cell.n < 1000 ? 46 : 54;
    const label = interpolate(ngettext("%s problem here: zoom in", "%s problems here: zoom in", cell.n), [cell.n]);
    const icon = L.divIcon({
      className: "cluster",
      html: "<span>" + cell.n + "</span>",
      iconSize: [size, size],
    });
    const marker = L.marker([cell.lat, cell.lon], { icon: icon, title: label, alt: label, keyboard: true });
    marker.on("add", function () {
      const node = marker.getElement();
      const group = groupOf(cell.c);
      node.style.setProperty("--colour", colourOf(cell.c));
      // Black or white, whichever reads on the colour (chosen on the server by contrast).
      if (group) node.style.setProperty("--on-colour", group.text);
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", label);
    });
    marker.on("click", function () {
      map.setView([cell.lat, cell.lon], Math.min(map.getZoom() + 2, config.unclusteredFromZoom));
    });
    return marker;
  }

  function issueMarker(cell) {
    const category = config.categories[cell.c];
    const label = (category ? category.name : "") + ", " + (config.statusLabels[cell.s] || cell.s);
    const icon = L.divIcon({ className: "issue-marker shape-" + cell.s, iconSize: [22, 22] });
    const marker = L.marker([cell.lat, cell.lon], { icon: icon, title: label, alt: label, keyboard: true });
    marker.on("add", function () {
      const node = marker.getElement();
      node.style.setProperty("--colour", colourOf(cell.c));
      node.setAttribute("role", "button");
      node.setAttribute("aria-label", label);
      node.dataset.issue = cell.id;
    });
    marker.bindPopup(gettext("Loading…"), { maxWidth: 260 });
    marker.on("popupopen", function () { showSummary(marker, cell.id); });
    return marker;
  }

  function showSummary(marker, id) {
    fetch(config.summaryUrl.replace("/0/", "/" + id + "/"), { headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then(function (issue) {
        const box = element("div", { class: "popup" });
        box.appendChild(element("p", { class: "popup-title" }, issue.category));
        if (issue.address) box.appendChild(element("p", {}, issue.address));
        const statusText = issue.close_reason ? issue.status_label + ": " + issue.close_reason : issue.status_label;
        box.appendChild(element("p", { class: "popup-status" }, statusText));
        box.appendChild(element("p", {}, interpolate(
          ngettext("%s person reported it", "%s people reported it", issue.people), [issue.people])));
        if (issue.thumbnail_url) {
          box.appendChild(element("img", { src: issue.thumbnail_url, alt: gettext("Photo of the problem"), width: 160 }));
        }
        const link = element("a", { href: issue.url }, gettext("Open the issue's public page"));
        box.appendChild(element("p", {})).appendChild(link);
        marker.setPopupContent(box);
      })
      .catch(function () { marker.setPopupContent(gettext("This problem cannot be shown just now.")); });
  }

  function load() {
    const bounds = map.getBounds();
    const query = filterQuery();
    listLink.href = config.listUrl + "?" + query.toString();
    query.set("bbox", [
      Math.max(bounds.getWest(), -180), Math.max(bounds.getSouth(), -90),
      Math.min(bounds.getEast(), 180), Math.min(bounds.getNorth(), 90),
    ].map((v) => v.toFixed(6)).join(","));
    query.set("zoom", String(map.getZoom()));
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(config.viewportUrl + "?" + query.toString(), { signal: pending.signal })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then(function (data) {
        layer.clearLayers();
        let total = 0;
        data.cells.forEach(function (cell) {
          total += cell.n;
          layer.addLayer(cell.n > 1 ? clusterMarker(cell) : issueMarker(cell));
        });
        status.textContent = interpolate(ngettext("%s problem in this part of the map.", "%s problems in this part of the map.", total), [total]);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        status.textContent = gettext("The problems could not be loaded. Try again in a moment.");
      });
  }

  map.on("moveend", load);
  form.addEventListener("change", load);
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  if (config.bounds) map.fitBounds(config.bounds);
  else map.setView(config.centre, config.zoom);
})();
