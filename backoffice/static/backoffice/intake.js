/* The switchboard's intake form (backoffice/templates/backoffice/intake.html): a click on the
 * map puts the pin and fills the coordinates; typing coordinates moves the pin; choosing a
 * category shows its questions. */

// The page draws every category's questions, those of the category chosen enabled; the others
// are hidden and disabled, so that they are not sent. Without this script the operator asks
// for the chosen category's questions with the "Show" button, and the server draws them.
(function () {
  "use strict";

  const category = document.getElementById("category");
  const shownFor = document.getElementById("questions-for");
  const questions = document.getElementById("questions");
  if (!category || !shownFor || !questions) return;
  const showButton = document.getElementById("show-questions");
  if (showButton) showButton.remove(); // not the form's default button when Enter is pressed

  function show() {
    let any = false;
    questions.querySelectorAll(".question-block").forEach((block) => {
      const chosen = block.dataset.category === category.value;
      block.hidden = !chosen;
      block.disabled = !chosen;
      any = any || chosen;
    });
    questions.hidden = !any;
    shownFor.value = category.value;
  }

  category.addEventListener("change", show);
  show();
})();

(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("intake-config").textContent);
  const lat = document.getElementById("lat");
  const lon = document.getElementById("lon");
  const container = document.getElementById("intake-map");
  if (!container || typeof L === "undefined") return;
  if (config.markerIcons) {
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions(config.markerIcons);
  }
  const map = L.map(container);
  L.tileLayer(config.tileUrl, {
    attribution: config.tileAttribution,
    subdomains: config.tileSubdomains,
    maxZoom: 19,
  }).addTo(map);
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
  // Degrees as typed, an Italian decimal comma included ("60,1709"), or null. Checked before
  // L.latLng, which throws on NaN; parseFloat would read "60,1709" as 60.
  function degrees(input, limit) {
    const text = input.value.trim().replace(",", ".");
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return null;
    const value = Number(text);
    return Math.abs(value) <= limit ? value : null;
  }

  function typed() {
    const latitude = degrees(lat, 90);
    const longitude = degrees(lon, 180);
    return latitude === null || longitude === null ? null : L.latLng(latitude, longitude);
  }

  [lat, lon].forEach((input) =>
    input.addEventListener("change", () => {
      const point = typed();
      if (point) {
        place(point);
        map.panTo(point);
      }
    })
  );
  const start = typed(); // the page came back with errors: the pin where it was
  if (start) place(start);
  container.dataset.ready = "true";
})();
