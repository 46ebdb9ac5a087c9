/* Small DOM helpers shared by the citizen page's scripts (submit.js, suggestions.js). */
window.SegnalaDom = (function () {
  "use strict";

  // <tag attribute=value...>text</tag>; true makes an empty attribute, false/null omit it.
  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (value === true) node.setAttribute(name, "");
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
    });
    if (text) node.textContent = text;
    return node;
  }

  // Django's CSRF token: the form's hidden field, else the cookie.
  function csrfToken() {
    const field = document.querySelector("[name=csrfmiddlewaretoken]");
    const cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return field ? field.value : cookie ? decodeURIComponent(cookie[1]) : "";
  }

  return { element: element, csrfToken: csrfToken };
})();
