/* The citizen's report form (template: reports/submit.html).
 *
 * A pin on a Leaflet map (GPS, a tap, the map centre or a photo's EXIF position), then the
 * categories offered at that place from /api/v1/categories/, their questions, photos shrunk
 * in the browser, and one multipart POST to /api/v1/reports/. Plain JS, no build step;
 * strings come from Django's JavaScript catalog (gettext, ngettext, interpolate).
 * suggestions.js adds the "Already reported?" list, told of each new place and category by a
 * "segnala:place" event on the form, and says "segnala:joined" when the citizen joined an issue.
 * The pin can also be set from a typed address (/api/v1/addresses/), and the street at the pin
 * is read out with it (/api/v1/addresses/at/). What was typed is kept as a draft in this tab's
 * sessionStorage, so a language switch or a reload does not lose it.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("submit-config").textContent);
  const { element, csrfToken } = window.SegnalaDom;
  const byId = (id) => document.getElementById(id);
  const format = (text, values) => interpolate(text, values, true);
  const form = byId("report-form");
  const language = document.documentElement.lang || "";
  const state = {
    pin: null, // {lat, lon}
    pinByUser: false, // placed by GPS, a tap, a drag or the centre button, not from a photo
    categories: [],
    category: null,
    categoriesTicket: 0,
    photos: [], // {blob, name, url}
    preparing: 0,
    photoGps: null,
    pinRefusal: null, // why the server refuses the pin's place (outside the territory...)
    busy: false,
    submissionKey: null,
    streetTicket: 0,
    restoring: false, // the draft is being put back: do not save a half-restored form
    finished: false, // sent, or joined an issue: nothing more to keep
  };


  // ---- Errors: next to their field and listed in the summary at the top.
  //
  // The summary opens on Send and then lists the errors shown now: it is rebuilt from the
  // visible field errors whenever one appears or goes (a pin placed, a photo removed), so it
  // never lists a fixed error. Messages that belong to no field (the server is down) stay
  // until the next Send.

  const summary = { open: false, general: [] };

  function showFieldError(key, message) {
    let target = byId("error-" + key);
    while (!target && key.includes("-")) {
      key = key.slice(0, key.lastIndexOf("-")); // "photo-0" -> "photo"
      target = byId("error-" + key);
    }
    if (!target) return null;
    if (target.hidden) target.textContent = message;
    else if (!target.textContent.includes(message)) target.textContent += " " + message;
    target.hidden = false;
    const control = byId(target.dataset.field);
    if (control) control.setAttribute("aria-invalid", "true");
    renderSummary();
    return target.dataset.field;
  }

  function clearFieldError(key) {
    const target = byId("error-" + key);
    if (!target || target.hidden) return;
    target.hidden = true;
    target.textContent = "";
    const control = byId(target.dataset.field);
    if (control) control.removeAttribute("aria-invalid");
    renderSummary();
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((node) => {
      node.hidden = true;
      node.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
    summary.open = false;
    summary.general = [];
    renderSummary();
  }

  function summaryItem({ field, message }) {
    const item = element("li", {}, field ? "" : message);
    if (field) {
      const link = element("a", { href: "#" + field }, message);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        byId(field).focus();
      });
      item.append(link);
    }
    return item;
  }

  function renderSummary() {
    const shown = Array.from(form.querySelectorAll(".field-error"))
      .filter((node) => !node.hidden && node.textContent)
      .map((node) => ({ field: byId(node.dataset.field) ? node.dataset.field : null, message: node.textContent }));
    const entries = summary.open ? shown.concat(summary.general.map((message) => ({ field: null, message }))) : [];
    const list = byId("error-summary-list");
    // The summary is a live region: rebuilt only when its errors change, so that nothing is
    // read out again for no reason.
    const signature = JSON.stringify(entries);
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    list.replaceChildren(...entries.map(summaryItem));
    byId("error-summary").hidden = entries.length === 0;
  }

  // DRF answers {field: [messages]}, nested for answers ({answers: {size: [...]}}).
  function flattenErrors(data, prefix) {
    const pairs = [];
    Object.entries(data || {}).forEach(([name, value]) => {
      const key = prefix ? prefix + "-" + name : name;
      (Array.isArray(value) ? value : [value]).forEach((item) => {
        if (item && typeof item === "object") pairs.push(...flattenErrors(item, key));
        else if (item !== null && item !== undefined) pairs.push([key, String(item)]);
      });
    });
    return pairs;
  }

  function showErrors(pairs) {
    pairs.forEach(([key, message]) => {
      if (!showFieldError({ lat: "location", lon: "location" }[key] || key, message)) {
        summary.general.push(message);
      }
    });
    summary.open = true;
    renderSummary();
    byId("error-summary").focus();
  }

  // ---- The map and the pin. Without tiles the map stays grey; the pin still works.

  if (config.markerIcons) {
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions(config.markerIcons);
  }
  const map = L.map("map");
  if (config.bounds) map.fitBounds(config.bounds);
  else map.setView(config.centre, config.zoom);
  L.tileLayer(config.tileUrl, {
    attribution: config.tileAttribution,
    subdomains: config.tileSubdomains,
    maxZoom: 19,
  }).addTo(map);
  let marker = null;

  // accuracy: metres the phone's GPS vouches for (null when the pin was placed by hand).
  function setPin(lat, lon, byUser, recentre, accuracy = null) {
    state.pin = { lat: lat, lon: lon, accuracy: accuracy };
    state.pinByUser = state.pinByUser || byUser;
    if (!marker) {
      marker = L.marker([lat, lon], { draggable: true, alt: gettext("Pin on the place of the problem") });
      marker.on("dragend", () => {
        const position = marker.getLatLng();
        setPin(position.lat, position.lng, true, false);
      });
      marker.addTo(map);
    } else {
      marker.setLatLng([lat, lon]);
    }
    if (recentre) map.setView([lat, lon], Math.max(map.getZoom(), 17));
    byId("pin-text").textContent = format(gettext("The pin is at latitude %(lat)s, longitude %(lon)s."), {
      lat: lat.toFixed(5),
      lon: lon.toFixed(5),
    });
    state.pinRefusal = null;
    clearFieldError("location");
    if (state.pinByUser) byId("photo-position").hidden = true;
    announceStreet();
    saveDraft();
    return loadCategories();
  }

  // The street at the pin, added to #pin-text (a live region): the numbers alone tell a
  // screen-reader user nothing. Outside the territory, or offline, the numbers stay.
  async function announceStreet() {
    const ticket = ++state.streetTicket;
    const pin = state.pin;
    const query = new URLSearchParams({ lat: pin.lat.toFixed(6), lon: pin.lon.toFixed(6) });
    let data = null;
    try {
      const response = await fetch(config.addressAtUrl + "?" + query, {
        headers: { Accept: "application/json", "Accept-Language": language },
      });
      if (response.ok) data = await response.json();
    } catch (error) {
      // Offline, or not JSON: the position in numbers is still there.
    }
    if (ticket !== state.streetTicket || !data || !data.address) return; // the pin moved meanwhile
    byId("pin-text").textContent = format(gettext("The pin is on %(street)s, at latitude %(lat)s, longitude %(lon)s."), {
      street: data.address,
      lat: pin.lat.toFixed(5),
      lon: pin.lon.toFixed(5),
    });
  }

  // ---- "Street and number": the pin goes where the typed address is.

  async function findAddress() {
    const input = byId("address");
    const button = byId("address-find");
    const text = input.value.trim();
    clearFieldError("address");
    if (!text) {
      showFieldError("address", gettext("Type a street and number."));
      input.focus();
      return;
    }
    button.disabled = true;
    let response = null;
    let data = null;
    try {
      response = await fetch(config.addressSearchUrl + "?" + new URLSearchParams({ q: text }), {
        headers: { Accept: "application/json", "Accept-Language": language },
      });
      data = await response.json();
    } catch (error) {
      // Offline, or not JSON: handled below.
    }
    button.disabled = false;
    if (response && response.ok && data && Number.isFinite(data.lat) && Number.isFinite(data.lon)) {
      setPin(data.lat, data.lon, true, true);
      return;
    }
    const messages = response && data ? flattenErrors(data).map((pair) => pair[1]).join(" ") : "";
    showFieldError("address", messages || (response
      ? gettext("Something went wrong on our side. Please try again in a few minutes.")
      : gettext("We could not reach the server. Check your connection and try again.")));
    input.focus();
  }

  byId("address-find").addEventListener("click", findAddress);
  // Enter here would send the whole report: search instead.
  byId("address").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    findAddress();
  });

  map.on("click", (event) => setPin(event.latlng.lat, event.latlng.lng, true, false));
  byId("pin-centre").addEventListener("click", () => {
    const centre = map.getCenter();
    setPin(centre.lat, centre.lng, true, false);
  });

  byId("locate").addEventListener("click", () => {
    const button = byId("locate");
    if (!navigator.geolocation) {
      showFieldError("location", gettext("This browser cannot tell us your position. Tap the map to place the pin instead."));
      return;
    }
    const before = byId("pin-text").textContent;
    button.disabled = true;
    byId("pin-text").textContent = gettext("Finding your position…");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        button.disabled = false;
        setPin(position.coords.latitude, position.coords.longitude, true, true, position.coords.accuracy);
      },
      (error) => {
        button.disabled = false;
        byId("pin-text").textContent = before;
        const denied = error.code === error.PERMISSION_DENIED;
        showFieldError("location", denied
          ? gettext("Your browser did not share your position. Tap the map to place the pin instead.")
          : gettext("We could not find your position. Tap the map to place the pin instead."));
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  });

  // ---- Categories offered at the pin, the redirect of those not ours, their questions.

  async function loadCategories() {
    const ticket = ++state.categoriesTicket;
    const query = new URLSearchParams({ lat: state.pin.lat.toFixed(6), lon: state.pin.lon.toFixed(6) });
    let response = null;
    let data = null;
    try {
      response = await fetch(config.categoriesUrl + "?" + query, {
        headers: { Accept: "application/json", "Accept-Language": language },
      });
      data = await response.json();
    } catch (error) {
      // Offline, or not JSON: handled below like any failure.
    }
    if (ticket !== state.categoriesTicket) return; // the pin moved again meanwhile
    clearFieldError("category");
    if (response && response.ok && Array.isArray(data)) {
      fillCategories(data, gettext("Choose a category"));
    } else if (response && response.status === 400) {
      fillCategories([], gettext("Move the pin inside the municipality first"));
      const messages = flattenErrors(data).map((pair) => pair[1]).join(" ");
      state.pinRefusal = messages || gettext("This place cannot be reported here.");
      showFieldError("location", state.pinRefusal);
    } else {
      fillCategories([], gettext("Place the pin first"));
      showFieldError("category", gettext("We could not load the categories. Check your connection and try again."));
    }
  }

  function fillCategories(categories, placeholder) {
    const select = byId("category");
    const previous = select.value;
    const groups = new Map();
    state.categories = categories;
    select.replaceChildren(element("option", { value: "" }, placeholder));
    categories.forEach((category) => {
      if (!groups.has(category.group)) {
        groups.set(category.group, element("optgroup", { label: category.group_name }));
        select.append(groups.get(category.group));
      }
      groups.get(category.group).append(element("option", { value: category.code }, category.name));
    });
    select.disabled = categories.length === 0;
    select.value = categories.some((category) => category.code === previous) ? previous : "";
    showCategory();
  }

  function showCategory() {
    const category = state.categories.find((item) => item.code === byId("category").value) || null;
    if (category) clearFieldError("category");
    announcePlace(category);
    if (category && state.category && category.code === state.category.code) return; // keep answers
    state.category = category;
    const description = byId("category-description");
    description.textContent = category ? category.description : "";
    description.hidden = !description.textContent;
    showRedirect(category && !category.handled_by_municipality ? category.redirect || {} : null);
    showQuestions(category ? category.questions : []);
    updateSendButton();
  }
  byId("category").addEventListener("change", showCategory);

  // suggestions.js listens: it looks for issues already reported at this place, in this category.
  function announcePlace(category) {
    const handled = Boolean(state.pin && category && category.handled_by_municipality);
    const detail = handled
      ? { lat: state.pin.lat, lon: state.pin.lon, category: category.code }
      : { lat: null, lon: null, category: null };
    form.dispatchEvent(new CustomEvent("segnala:place", { detail: detail }));
  }

  function showRedirect(redirect) {
    byId("redirect").hidden = byId("send-blocked").hidden = !redirect;
    if (!redirect) return;
    byId("redirect-instructions").textContent = redirect.instructions || "";
    byId("redirect-body").textContent = redirect.body
      ? format(gettext("Competent body: %(body)s."), { body: redirect.body })
      : "";
    const contacts = byId("redirect-contacts");
    contacts.replaceChildren();
    const contact = (label, href, text) => {
      const item = element("li", {}, label + " ");
      item.append(element("a", { href: href, rel: "noopener noreferrer" }, text));
      contacts.append(item);
    };
    if (redirect.phone) contact(gettext("Phone:"), "tel:" + redirect.phone.replace(/[^0-9+]/g, ""), redirect.phone);
    if (/^https?:\/\//i.test(redirect.website || "")) contact(gettext("Website:"), redirect.website, redirect.website);
  }

  function showQuestions(questions) {
    byId("questions").replaceChildren(...questions.map(questionField));
    byId("questions").hidden = questions.length === 0;
    renderSummary(); // the old questions' errors went with them
  }

  function questionField(question) {
    const id = "question-" + question.code;
    const errorId = "error-answers-" + question.code;
    const label = question.required ? question.label : question.label + " " + gettext("(optional)");
    const error = element("p", { class: "field-error", id: errorId, "data-field": id, hidden: true });
    if (question.kind === "multichoice") {
      const fieldset = element("fieldset", { class: "field", id: id, tabindex: "-1", "aria-describedby": errorId });
      fieldset.append(element("legend", {}, label));
      question.choices.forEach((choice, index) => {
        const wrap = element("div", { class: "checkbox-field" });
        wrap.append(
          element("input", { type: "checkbox", id: id + "-" + index, name: id, value: choice.key }),
          element("label", { for: id + "-" + index }, choice.label)
        );
        fieldset.append(wrap);
      });
      fieldset.append(error);
      fieldset.addEventListener("change", () => {
        if (checkedBoxes(question).length) clearFieldError("answers-" + question.code);
      });
      return fieldset;
    }
    let control;
    if (question.kind === "choice") {
      control = element("select", { id: id, name: id });
      control.append(element("option", { value: "" }, gettext("Choose an answer")));
      question.choices.forEach((choice) => control.append(element("option", { value: choice.key }, choice.label)));
    } else {
      const type = { number: "number", date: "date" }[question.kind] || "text";
      control = element("input", { type: type, id: id, name: id, step: type === "number" ? "any" : null });
      if (type === "text") control.maxLength = 1000;
    }
    control.required = question.required;
    control.setAttribute("aria-describedby", errorId);
    const wrap = element("div", { class: "field" });
    wrap.append(element("label", { for: id }, label), control, error);
    return wrap;
  }

  function checkedBoxes(question) {
    return Array.from(form.querySelectorAll('input[name="question-' + question.code + '"]:checked'));
  }

  function collectAnswers() {
    const answers = {};
    (state.category ? state.category.questions : []).forEach((question) => {
      const value = question.kind === "multichoice"
        ? checkedBoxes(question).map((box) => box.value)
        : byId("question-" + question.code).value.trim();
      if (value.length) answers[question.code] = value;
    });
    return answers;
  }

  // ---- Photos: read the EXIF position first, then shrink when the browser can decode.

  async function gpsOf(source) {
    try {
      const gps = await window.exifr.gps(source);
      if (gps && Number.isFinite(gps.latitude) && Number.isFinite(gps.longitude)) {
        return { lat: gps.latitude, lon: gps.longitude };
      }
    } catch (error) {
      // No EXIF, or a format exifr does not read: the photo is still fine.
    }
    return null;
  }

  async function readGps(file) {
    if (!window.exifr) return null;
    const gps = await gpsOf(file);
    if (gps || !window.SegnalaHeif) return gps;
    // exifr misses the Exif item of many HEIC files (see heif.js): read it ourselves.
    const tiff = await window.SegnalaHeif.exifTiff(file);
    return tiff ? gpsOf(tiff) : null;
  }

  function decodeImage(file) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => {
        URL.revokeObjectURL(image.src);
        reject(new Error("cannot decode"));
      };
      image.src = URL.createObjectURL(file);
    });
  }

  async function preparePhoto(file) {
    const original = { blob: file, name: file.name || "photo", url: null };
    let image;
    try {
      image = await decodeImage(file);
    } catch (error) {
      return original; // HEIC on most browsers: the server converts it
    }
    const scale = Math.min(1, config.maxSidePx / Math.max(image.naturalWidth, image.naturalHeight));
    if (scale === 1 && /^image\/(jpeg|png|webp)$/.test(file.type)) return { ...original, url: image.src };
    const canvas = element("canvas");
    canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(image.src);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob ? { blob: blob, name: "photo.jpg", url: URL.createObjectURL(blob) } : original;
  }

  function showPhotos() {
    const list = byId("photo-list");
    list.replaceChildren();
    state.photos.forEach((photo, index) => {
      const values = { n: index + 1 };
      const item = element("li", { class: "photo" });
      if (photo.url) item.append(element("img", { src: photo.url, alt: format(gettext("Photo %(n)s"), values) }));
      else item.append(element("span", { class: "photo-placeholder" }, format(gettext("Photo %(n)s (no preview)"), values)));
      const remove = element("button", { type: "button", class: "button button-small" }, gettext("Remove"));
      remove.setAttribute("aria-label", format(gettext("Remove photo %(n)s"), values));
      remove.addEventListener("click", () => {
        if (photo.url) URL.revokeObjectURL(photo.url);
        state.photos.splice(index, 1);
        // The server's "Photo 2: ..." is about a list that changed: it checks again on Send.
        clearFieldError("photo");
        showPhotos();
        saveDraft();
        byId("photos").focus();
      });
      item.append(remove);
      list.append(item);
    });
    const count = state.photos.length;
    byId("photo-status").textContent = count
      ? format(ngettext("%(n)s photo chosen.", "%(n)s photos chosen.", count), { n: count })
      : "";
  }

  byId("photos").addEventListener("change", async (event) => {
    const files = Array.from(event.target.files);
    event.target.value = ""; // so that a removed photo can be chosen again
    clearFieldError("photo");
    const room = Math.max(0, config.maxPhotos - state.photos.length - state.preparing);
    if (files.length > room) {
      const text = ngettext("You can add at most %(n)s photo.", "You can add at most %(n)s photos.", config.maxPhotos);
      showFieldError("photo", format(text, { n: config.maxPhotos }));
    }
    const chosen = files.slice(0, room);
    if (chosen.length) byId("photos-lost").hidden = true;
    state.preparing += chosen.length;
    updateSendButton();
    for (const file of chosen) {
      state.photoGps = state.photoGps || (await readGps(file));
      if (state.photoGps && !state.pinByUser) byId("photo-position").hidden = false;
      state.photos.push(await preparePhoto(file));
      state.preparing -= 1;
      showPhotos();
    }
    updateSendButton();
  });

  byId("use-photo-position").addEventListener("click", () => {
    setPin(state.photoGps.lat, state.photoGps.lon, false, true);
    byId("photo-position").hidden = true;
  });

  // ---- Emergency: tell the citizen to call at once, before anything is sent.

  byId("emergency").addEventListener("change", (event) => {
    byId("emergency-call").hidden = !event.target.checked;
  });

  // ---- Sending.

  function updateSendButton() {
    const redirected = Boolean(state.category && !state.category.handled_by_municipality);
    const send = byId("send");
    send.disabled = state.busy || redirected || state.preparing > 0;
    if (state.busy) send.textContent = gettext("Sending your report…");
    else if (state.preparing) send.textContent = gettext("Preparing the photos…");
    else send.textContent = gettext("Send the report");
  }


  // What the browser's own validation (required, type=email...) cannot check.
  function localErrors() {
    if (!state.pin) return [["location", gettext("Place the pin on the map: use your position or tap the map.")]];
    if (state.pinRefusal) return [["location", state.pinRefusal]];
    if (!state.category) return [["category", gettext("Choose a category.")]];
    return state.category.questions
      .filter((question) => question.kind === "multichoice" && question.required && !checkedBoxes(question).length)
      .map((question) => ["answers-" + question.code, gettext("This question needs an answer.")]);
  }

  function formData() {
    const data = new FormData();
    data.append("lat", state.pin.lat.toFixed(7));
    data.append("lon", state.pin.lon.toFixed(7));
    if (state.pin.accuracy !== null) data.append("accuracy_m", Math.round(state.pin.accuracy));
    data.append("category", state.category.code);
    data.append("channel", "web");
    data.append("description", byId("description").value);
    data.append("urgency", form.querySelector("input[name=urgency]:checked").value);
    data.append("emergency", byId("emergency").checked ? "true" : "false");
    data.append("answers", JSON.stringify(collectAnswers()));
    ["name", "email", "phone"].forEach((name) => data.append(name, byId(name).value.trim()));
    state.photos.forEach((photo) => data.append("photo", photo.blob, photo.name));
    return data;
  }

  function setBusy(busy, message) {
    state.busy = busy;
    if (busy) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
    byId("send-status").textContent = message;
    updateSendButton();
  }

  function newSubmissionKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || state.preparing) return;
    clearErrors();
    const errors = localErrors();
    if (errors.length) return showErrors(errors);
    setBusy(true, gettext("Sending your report…"));
    // One key per report, kept across retries: if the phone lost the answer to a report that
    // did arrive, sending again returns that report instead of filing a second one.
    state.submissionKey = state.submissionKey || newSubmissionKey();
    let response = null;
    let data = null;
    try {
      response = await fetch(config.reportsUrl, {
        method: "POST",
        body: formData(),
        headers: {
          Accept: "application/json",
          "Accept-Language": language,
          "X-CSRFToken": csrfToken(),
          "Idempotency-Key": state.submissionKey,
        },
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (error) {
      // Offline, or an answer that is not JSON (a proxy's error page): handled below.
    }
    if (response && (response.status === 201 || response.status === 200) && data && data.tracking_url) {
      byId("send-status").textContent = gettext("Your report was sent.");
      finish();
      window.location.assign(data.tracking_url);
      return;
    }
    setBusy(false, "");
    if (response && response.status === 400 && data && typeof data === "object") {
      showErrors(flattenErrors(data));
    } else if (response) {
      const fallback = gettext("Something went wrong on our side. Please try again in a few minutes.");
      showErrors([["detail", (data && data.detail) || fallback]]);
    } else {
      showErrors([["detail", gettext("We could not reach the server. Check your connection and try again.")]]);
    }
  });

  // ---- The draft: what the citizen typed, kept in this tab's sessionStorage (never beyond:
  // it holds the contact details) while the report is not sent. The language switch reloads
  // the page, and so does an accidental pull-to-refresh: both put the draft back. Photos are
  // files, which cannot be kept: the citizen is told to choose them again.

  const DRAFT_KEY = "segnala:report-draft";
  const DRAFT_FIELDS = ["address", "description", "name", "email", "phone"];

  function saveDraft() {
    if (state.restoring || state.finished) return;
    const checked = form.querySelector("input[name=urgency]:checked");
    const draft = {
      pin: state.pin,
      pinByUser: state.pinByUser,
      category: byId("category").value,
      answers: collectAnswers(),
      fields: Object.fromEntries(DRAFT_FIELDS.map((id) => [id, byId(id).value])),
      urgency: checked ? checked.value : null,
      emergency: byId("emergency").checked,
      photos: state.photos.length + state.preparing,
    };
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch (error) {
      // Storage off or full (private browsing): the form works, nothing is kept.
    }
  }

  // The report was sent, or the citizen joined an issue instead: the draft goes.
  function finish() {
    state.finished = true;
    try {
      sessionStorage.removeItem(DRAFT_KEY);
    } catch (error) {
      // Storage off: there was no draft.
    }
  }

  function readDraft() {
    try {
      const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
      return draft && typeof draft === "object" ? draft : null;
    } catch (error) {
      return null; // storage off, or not ours
    }
  }

  function restoreAnswers(answers) {
    (state.category ? state.category.questions : []).forEach((question) => {
      const value = answers[question.code];
      if (value === undefined) return;
      if (question.kind === "multichoice") {
        const keys = [].concat(value).map(String);
        form.querySelectorAll('input[name="question-' + question.code + '"]').forEach((box) => {
          box.checked = keys.includes(box.value);
        });
      } else {
        byId("question-" + question.code).value = String(value);
      }
    });
  }

  async function restoreDraft() {
    const draft = readDraft();
    if (!draft) return;
    state.restoring = true;
    const fields = draft.fields && typeof draft.fields === "object" ? draft.fields : {};
    DRAFT_FIELDS.forEach((id) => {
      if (typeof fields[id] === "string") byId(id).value = fields[id];
    });
    const urgency = Array.from(form.querySelectorAll("input[name=urgency]")).find((radio) => radio.value === String(draft.urgency));
    if (urgency) urgency.checked = true;
    byId("emergency").checked = draft.emergency === true;
    byId("emergency-call").hidden = !byId("emergency").checked;
    const photos = Number(draft.photos) || 0;
    if (photos > 0) {
      const lost = byId("photos-lost");
      lost.textContent = format(ngettext(
        "The page was reloaded, and your %(n)s photo could not be kept: please choose it again.",
        "The page was reloaded, and your %(n)s photos could not be kept: please choose them again.",
        photos
      ), { n: photos });
      lost.hidden = false;
    }
    const pin = draft.pin;
    if (pin && Number.isFinite(pin.lat) && Number.isFinite(pin.lon)) {
      const accuracy = Number.isFinite(pin.accuracy) ? pin.accuracy : null;
      await setPin(pin.lat, pin.lon, draft.pinByUser === true, true, accuracy);
      const select = byId("category");
      if (!select.disabled && state.categories.some((category) => category.code === draft.category)) {
        select.value = draft.category;
        showCategory();
        restoreAnswers(draft.answers && typeof draft.answers === "object" ? draft.answers : {});
      }
    }
    state.restoring = false;
    saveDraft();
  }

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  window.addEventListener("pagehide", saveDraft);
  form.addEventListener("segnala:joined", finish);

  updateSendButton();
  restoreDraft();
})();
