/* The switchboard's intake form (backoffice/templates/backoffice/intake.html): a click on the
 * map puts the pin and fills the coordinates; typing coordinates moves the pin. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("intake-config").textContent);
  const lat = document.getElementById("lat");
  const lon = document.getElementById("lon");
  const container = document.getElementById("intake-map");
  if (!container || typeof L === "undefined") return;
  const map = L.map(container);
  L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
  if (config.bounds) map.fitBounds(config.bounds);
  else map.setView(config.centre, config.zoom);
  let pin = null;

  function place(point) {
    if (pin) pin.setLatLng(point);
    else pin = L.marker(point, { draggable: true }).addTo(map).on("dragend", () => fill(pin.getLatLng()));
  }

  function fill(point) {
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
  }

  map.on("click", (event) => {
    place(event.latlng);
    fill(event.latlng);
  });
  [lat, lon].forEach((input) =>
    input.addEventListener("change", () => {
      const point = L.latLng(parseFloat(lat.value), parseFloat(lon.value));
      if (!Number.isNaN(point.lat) && !Number.isNaN(point.lng)) {
        place(point);
        map.panTo(point);
      }
    })
  );
  if (lat.value && lon.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
  container.dataset.ready = "true";
})();
