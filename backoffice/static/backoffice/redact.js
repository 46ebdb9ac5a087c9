/* Redacting a photo (backoffice/templates/backoffice/redact.html): each drag on the photo
 * draws a region and adds it to the form as "left,top,right,bottom" percentages. */
(function () {
  "use strict";

  const stage = document.getElementById("redact-stage");
  const photo = document.getElementById("redact-photo");
  const boxes = document.getElementById("redact-boxes");
  let start = null;
  let drawn = null;

  const percent = (value, size) => Math.min(100, Math.max(0, (value / size) * 100));

  function point(event) {
    const rect = photo.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top, w: rect.width, h: rect.height };
  }

  stage.addEventListener("pointerdown", (event) => {
    start = point(event);
    drawn = document.createElement("div");
    drawn.className = "redact-box";
    stage.appendChild(drawn);
    stage.setPointerCapture(event.pointerId);
  });

  stage.addEventListener("pointermove", (event) => {
    if (!start) return;
    const now = point(event);
    Object.assign(drawn.style, {
      left: Math.min(start.x, now.x) + "px",
      top: Math.min(start.y, now.y) + "px",
      width: Math.abs(now.x - start.x) + "px",
      height: Math.abs(now.y - start.y) + "px",
    });
  });

  stage.addEventListener("pointerup", (event) => {
    if (!start) return;
    const end = point(event);
    const values = [
      percent(Math.min(start.x, end.x), end.w),
      percent(Math.min(start.y, end.y), end.h),
      percent(Math.max(start.x, end.x), end.w),
      percent(Math.max(start.y, end.y), end.h),
    ];
    start = null;
    if (values[2] - values[0] < 0.5 || values[3] - values[1] < 0.5) {
      drawn.remove();
      return;
    }
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = "box";
    input.value = values.map((v) => v.toFixed(2)).join(",");
    boxes.appendChild(input);
  });
})();
