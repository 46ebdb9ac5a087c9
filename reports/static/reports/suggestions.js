/* "Already reported?" on the citizen's report form (template: reports/submit.html).
 *
 * submit.js fires "segnala:place" on the form whenever the pin or the category changes; we
 * ask /api/v1/issues/nearby/ for open issues of that category near the pin and list them. The
 * citizen may ignore them, or press "This is my problem" on one and join it with
 * POST /api/v1/issues/<id>/support/ (an optional e-mail for updates) instead of sending a new
 * report (and tells submit.js with "segnala:joined"). Plain JS, no build step; strings come from
 * Django's JavaScript catalog.
 */
(function () {
  "use strict";

  const { element, csrfToken } = window.SegnalaDom;
  const byId = (id) => document.getElementById(id);
  const format = (text, values) => interpolate(text, values, true);
  const form = byId("report-form");
  const box = byId("suggestions");
  const nearbyUrl = box.dataset.nearbyUrl;
  const supportUrl = (id) => box.dataset.supportUrl.replace("/0/", "/" + id + "/"); // issue 0's URL
  const language = document.documentElement.lang || "";
  const DESCRIPTION_MAX_CHARS = 240;
  const state = {
    key: "", // the nearby query of the list on screen (or being fetched)
    ticket: 0,
    open: null, // {issue, panel, button} of the open confirmation
    busy: false,
  };



  // ---- Fetching: the newest place wins; a failure only means no suggestions.

  form.addEventListener("segnala:place", (event) => {
    const place = event.detail;
    if (!place.category) {
      state.key = "";
      state.ticket += 1; // an answer still on its way is not wanted any more
      return show([]);
    }
    const query = new URLSearchParams({
      lat: place.lat.toFixed(6),
      lon: place.lon.toFixed(6),
      category: place.category,
    });
    if (String(query) === state.key) return; // same place, same category: keep the list
    state.key = String(query);
    load(query);
  });

  async function load(query) {
    const ticket = ++state.ticket;
    let results = [];
    try {
      const response = await fetch(nearbyUrl + "?" + query, {
        headers: { Accept: "application/json", "Accept-Language": language },
      });
      const data = response.ok ? await response.json() : null;
      if (data && Array.isArray(data.results)) results = data.results;
    } catch (error) {
      // Offline, or not JSON: the citizen can still send the report.
    }
    if (ticket === state.ticket && !state.busy) show(results);
  }

  // ---- The list.

  function show(issues) {
    state.open = null;
    if (!issues.length) return box.replaceChildren();
    const section = element("section", { class: "suggestions-section", "aria-labelledby": "suggestions-title" });
    section.append(
      element("h3", { id: "suggestions-title" }, gettext("Already reported?")),
      element("p", { class: "hint" }, ngettext(
        "Someone has already reported a problem like this one nearby. If it is yours, join it instead of sending a new report. If not, just carry on below.",
        "Others have already reported problems like this one nearby. If one is yours, join it instead of sending a new report. If not, just carry on below.",
        issues.length
      ))
    );
    const list = element("ul", { class: "suggestion-list", "aria-labelledby": "suggestions-title" });
    issues.forEach((issue) => list.append(suggestion(issue)));
    section.append(list);
    box.replaceChildren(section);
  }

  // Reporters and supporters, counted as the support answer counts them ("people").
  function people(issue) {
    return issue.people ?? (issue.report_count || 0) + (issue.supporter_count || 0);
  }

  function suggestion(issue) {
    const titleId = "suggestion-" + issue.id + "-title";
    const item = element("li", { class: "suggestion", id: "suggestion-" + issue.id });
    const card = element("div", { class: "suggestion-card" });
    if (issue.thumbnail_url) {
      card.append(element("img", {
        class: "suggestion-photo",
        src: issue.thumbnail_url,
        alt: format(gettext("Photo of issue #%(id)s"), { id: issue.id }),
        loading: "lazy",
      }));
    }
    const text = element("div", { class: "suggestion-text" });
    const title = element("h4", { id: titleId, class: "suggestion-title" }, issue.category_name);
    title.append(" ", element("span", { class: "suggestion-number" }, "#" + issue.id));
    text.append(title);
    if (issue.address) text.append(element("p", { class: "suggestion-address" }, issue.address));
    const distance = format(gettext("about %(n)s m away"), { n: Math.max(1, Math.round(issue.distance_m)) });
    const status = issue.status === "under_review" ? gettext("under review") : gettext("open");
    text.append(
      element("p", { class: "suggestion-meta" }, distance + " · " + status),
      element("p", { class: "suggestion-count" }, format(ngettext(
        "Reported by %(n)s person.",
        "Reported by %(n)s people.",
        people(issue)
      ), { n: people(issue) }))
    );
    card.append(text);
    item.append(card);
    if (issue.description) {
      const description = issue.description.length > DESCRIPTION_MAX_CHARS
        ? issue.description.slice(0, DESCRIPTION_MAX_CHARS - 1).trimEnd() + "…"
        : issue.description;
      // In the citizen's own language: a screen reader reads it with the right voice.
      item.append(element("blockquote", { class: "suggestion-description", lang: issue.language || null }, description));
    }

    const actions = element("div", { class: "suggestion-actions" });
    const link = element("a", { href: issue.url, class: "suggestion-link" }, format(gettext("See issue #%(id)s"), { id: issue.id }));
    const join = element("button", {
      type: "button",
      class: "button button-secondary",
      "aria-expanded": "false",
      "aria-controls": "support-" + issue.id,
      "aria-describedby": titleId,
    }, gettext("This is my problem"));
    join.addEventListener("click", () => toggleConfirmation(issue, item, join));
    actions.append(join, link);
    item.append(actions);
    return item;
  }

  // ---- "This is my problem": an inline confirmation with an optional e-mail.

  function closeConfirmation() {
    if (!state.open) return;
    state.open.panel.remove();
    state.open.button.setAttribute("aria-expanded", "false");
    state.open = null;
  }

  function toggleConfirmation(issue, item, button) {
    const wasOpen = state.open && state.open.issue.id === issue.id;
    closeConfirmation();
    if (wasOpen) return;
    const panel = confirmation(issue, button);
    item.append(panel);
    button.setAttribute("aria-expanded", "true");
    state.open = { issue: issue, panel: panel, button: button };
    panel.querySelector("input").focus();
  }

  function confirmation(issue, button) {
    const id = "support-" + issue.id;
    const panel = element("div", { class: "support-confirm", id: id, role: "group", "aria-labelledby": id + "-title" });
    panel.append(
      element("p", { id: id + "-title", class: "support-confirm-title" }, format(gettext("Join issue #%(id)s"), { id: issue.id })),
      element("p", {}, gettext("No new report will be sent: you are counted among the people who have this problem, which helps to fix it sooner."))
    );
    const field = element("div", { class: "field" });
    const input = element("input", {
      type: "email",
      id: id + "-email",
      maxlength: "254",
      autocomplete: "email",
      inputmode: "email",
      "aria-describedby": id + "-hint " + id + "-error",
    });
    input.value = byId("email").value.trim(); // the contact e-mail, if already given
    const label = element("label", { for: input.id }, gettext("Your e-mail"));
    label.append(" ", element("span", { class: "optional" }, gettext("(optional)")));
    field.append(
      label,
      element("p", { class: "hint", id: id + "-hint" }, gettext("To receive updates on this issue. It is never published.")),
      input
    );
    const error = element("p", { class: "field-error", id: id + "-error", role: "alert", hidden: true });
    const row = element("div", { class: "button-row" });
    const confirm = element("button", { type: "button", class: "button button-primary" }, gettext("Confirm"));
    const cancel = element("button", { type: "button", class: "button button-secondary" }, gettext("Cancel"));
    confirm.addEventListener("click", () => support(issue, input, error, confirm));
    // Enter here would send the whole report form (this field sits inside it): confirm instead.
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      confirm.click();
    });
    cancel.addEventListener("click", () => {
      closeConfirmation();
      button.focus();
    });
    row.append(confirm, cancel);
    panel.append(field, error, row);
    return panel;
  }

  function showError(node, message) {
    node.textContent = message;
    node.hidden = false;
  }

  async function support(issue, input, error, confirm) {
    if (state.busy) return;
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    if (!input.checkValidity()) {
      input.setAttribute("aria-invalid", "true");
      return showError(error, gettext("Check the e-mail address, or leave it empty."));
    }
    const email = input.value.trim();
    state.busy = true;
    confirm.disabled = true;
    confirm.textContent = gettext("Joining…");
    let response = null;
    let data = null;
    try {
      response = await fetch(supportUrl(issue.id), {
        method: "POST",
        body: JSON.stringify(email ? { email: email } : {}),
        headers: {
          Accept: "application/json",
          "Accept-Language": language,
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken(),
        },
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (failure) {
      // Offline, or an answer that is not JSON: handled below.
    }
    state.busy = false;
    confirm.disabled = false;
    confirm.textContent = gettext("Confirm");
    if (response && (response.status === 200 || response.status === 201) && data && data.tracking_url) {
      return thank(data, response.status === 201, email);
    }
    if (response && response.status === 400 && data && data.email) {
      input.setAttribute("aria-invalid", "true");
      showError(error, [].concat(data.email).join(" "));
    } else if (response && response.status === 404) {
      showError(error, gettext("This issue can no longer be joined. Please send your own report below."));
    } else if (response && data && data.detail) {
      showError(error, [].concat(data.detail).join(" ")); // a closed issue: the server says why
    } else if (response) {
      showError(error, gettext("Something went wrong on our side. Please try again in a few minutes."));
    } else {
      showError(error, gettext("We could not reach the server. Check your connection and try again."));
    }
  }

  // ---- Joined: the form gives way to a thank-you panel.

  function thank(data, joinedNow, email) {
    const values = { id: data.issue, n: data.people };
    const headline = joinedNow
      ? ngettext(
        "Thank you: you joined issue #%(id)s, now reported by %(n)s person.",
        "Thank you: you joined issue #%(id)s, now reported by %(n)s people.",
        data.people
      )
      : ngettext(
        "You had already joined issue #%(id)s, now reported by %(n)s person.",
        "You had already joined issue #%(id)s, now reported by %(n)s people.",
        data.people
      );
    const panel = element("section", { id: "joined", class: "joined", tabindex: "-1", "aria-labelledby": "joined-title" });
    panel.append(element("h2", { id: "joined-title" }, format(headline, values)));
    if (data.confirmation_sent && email) {
      panel.append(element("p", {}, format(gettext("We sent a link to %(email)s: follow it to receive news about this issue."), { email: email })));
    } else if (data.subscribed && email) {
      panel.append(element("p", {}, format(gettext("We will write to %(email)s when its status changes."), { email: email })));
    } else if (!data.subscribed) {
      panel.append(element("p", {}, gettext("Follow its progress on the issue's page.")));
    }
    const links = element("p", { class: "joined-links" });
    links.append(
      element("a", { href: data.tracking_url, class: "button button-primary" }, format(gettext("See issue #%(id)s"), values)),
      element("a", { href: window.location.pathname, class: "button button-secondary" }, gettext("Report another problem"))
    );
    panel.append(links);
    byId("error-summary").hidden = true;
    form.dispatchEvent(new CustomEvent("segnala:joined")); // submit.js drops the draft
    form.hidden = true;
    form.after(panel);
    panel.focus();
  }
})();
