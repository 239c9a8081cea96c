// Uploads each chosen file as soon as it is chosen, one after another, with a progress bar
// per file, into this browser's draft (records/views/public.py). One at a time:
// a slow connection then finishes each file instead of sharing itself among all of them,
// and the embedded default's single-writer database never sees them race. The page works without this script: the files
// then travel with the form itself. No inline script or style attribute is needed (CSP).
(function () {
  "use strict";

  var root = document.querySelector("[data-records-uploads]");
  if (!root || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var form = root.closest("form");
  var uploadUrl = root.getAttribute("data-upload-url");
  // Resumable (static/js/resumable.js) where the page offers it: a file survives a dropped
  // connection or a reload. The one-request upload stays for browsers without it.
  var resumableUrl = root.getAttribute("data-resumable-url");
  var resumableChunk = parseInt(root.getAttribute("data-resumable-chunk-bytes"), 10);
  var resumable = resumableUrl && window.CfxResumable && window.CfxResumable.supported;
  var maxFileBytes = parseInt(root.getAttribute("data-max-file-bytes"), 10);
  var announcer = root.querySelector("[data-records-announce]");
  var inFlight = 0; // waiting or sending
  var queue = [];
  var sending = false;

  function csrfToken() {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function announce(text) {
    if (announcer) {
      announcer.textContent = text;
    }
  }

  function sizeText(bytes) {
    if (bytes >= 1048576) {
      return (bytes / 1048576).toFixed(1) + " MB";
    }
    if (bytes >= 1024) {
      return Math.round(bytes / 1024) + " KB";
    }
    return bytes + " bytes";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function removeButton(url, name) {
    var button = el("button", "btn btn-link btn-sm p-0", "Remove");
    button.type = "button";
    button.setAttribute("data-records-remove", url);
    var hidden = el("span", "visually-hidden", " " + name);
    button.appendChild(hidden);
    return button;
  }

  function showDone(item, data) {
    item.textContent = "";
    item.setAttribute("data-document-id", data.id);
    item.appendChild(el("span", "text-break", data.name));
    item.appendChild(el("span", "text-body-secondary small", "(" + data.size_display + ")"));
    item.appendChild(el("span", "badge text-bg-success", "Received"));
    item.appendChild(removeButton(data.delete_url, data.name));
    announce(data.name + " received.");
  }

  function showError(item, name, message) {
    item.textContent = "";
    item.classList.add("text-danger");
    item.setAttribute("data-upload-error", "");
    item.appendChild(el("strong", "text-break", name + ": "));
    item.appendChild(el("span", "", message));
    var dismiss = el("button", "btn btn-link btn-sm p-0", "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", function () {
      item.remove();
    });
    item.appendChild(dismiss);
    announce(name + " was not accepted: " + message);
  }

  function upload(file, category, list) {
    var item = el("li", "py-1");
    item.setAttribute("data-upload-pending", "");
    var label = el("div", "small text-break", file.name + " (" + sizeText(file.size) + ")");
    var bar = el("div", "progress");
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Uploading " + file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", "0");
    var fill = el("div", "progress-bar");
    fill.style.width = "0%"; // CSSOM, not a style attribute: allowed by the CSP
    bar.appendChild(fill);
    item.appendChild(label);
    item.appendChild(bar);
    list.appendChild(item);

    if (file.size > maxFileBytes) {
      showError(item, file.name, "This file is larger than " + sizeText(maxFileBytes) + ", the most we accept for one file.");
      return;
    }
    inFlight += 1;
    queue.push(function () {
      send(file, category, item, bar, fill);
    });
    pump();
  }

  function pump() {
    if (!sending && queue.length) {
      sending = true;
      queue.shift()();
    }
  }

  function setProgress(bar, fill, percent) {
    fill.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
  }

  function sendResumable(file, category, item, bar, fill) {
    function done() {
      inFlight -= 1;
      sending = false;
      item.removeAttribute("data-upload-pending");
      item.removeAttribute("data-upload-waiting");
      pump();
    }
    window.CfxResumable.upload(file, {
      endpoint: resumableUrl,
      category: category,
      chunkSize: resumableChunk,
      csrfToken: csrfToken,
      onProgress: function (sent, total) {
        item.removeAttribute("data-upload-waiting");
        setProgress(bar, fill, total ? Math.round((sent / total) * 100) : 100);
      },
      onWaiting: function () {
        // Shown until the connection comes back; the file then continues where it stopped.
        if (!item.hasAttribute("data-upload-waiting")) {
          item.setAttribute("data-upload-waiting", "");
          announce("The connection was lost. " + file.name + " will continue when it is back.");
        }
      },
      onSuccess: function (reply) {
        done();
        if (reply.duplicate) {
          item.remove();
          announce(reply.notice || file.name);
        } else {
          showDone(item, reply.document);
        }
      },
      onError: function (message) {
        done();
        showError(item, file.name, message);
      },
    });
  }

  function send(file, category, item, bar, fill) {
    if (resumable) {
      sendResumable(file, category, item, bar, fill);
      return;
    }
    var data = new FormData();
    data.append("category", category);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        var percent = Math.round((event.loaded / event.total) * 100);
        fill.style.width = percent + "%";
        bar.setAttribute("aria-valuenow", String(percent));
      }
    });
    xhr.addEventListener("loadend", function () {
      inFlight -= 1;
      sending = false;
      item.removeAttribute("data-upload-pending");
      var reply = null;
      try {
        reply = JSON.parse(xhr.responseText);
      } catch (e) {
        reply = null;
      }
      if (xhr.status === 200 && reply && reply.duplicate) {
        // The same bytes were already received: one entry in the list, not two.
        item.remove();
        announce(reply.notice || reply.name);
      } else if (xhr.status === 201 && reply) {
        showDone(item, reply);
      } else if (reply && reply.error) {
        showError(item, file.name, reply.error);
      } else if (xhr.status === 0) {
        showError(item, file.name, "The connection was lost during the upload. Please choose the file again.");
      } else {
        showError(item, file.name, "The upload did not work. Please choose the file again.");
      }
      pump();
    });
    xhr.send(data);
  }

  root.querySelectorAll("[data-records-remove]").forEach(function (button) {
    button.hidden = false;
  });

  root.querySelectorAll("input[type=file][data-category]").forEach(function (input) {
    input.addEventListener("change", function () {
      var list = input.closest("[data-category-block]").querySelector("[data-records-list]");
      Array.prototype.forEach.call(input.files, function (file) {
        upload(file, input.getAttribute("data-category"), list);
      });
      // Already on their way: the form must not send them a second time.
      input.value = "";
    });
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-records-remove]");
    if (!button) {
      return;
    }
    var item = button.closest("li");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", button.getAttribute("data-records-remove"));
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.addEventListener("loadend", function () {
      if (xhr.status === 200 || xhr.status === 404) {
        item.remove();
        announce("File removed.");
      }
    });
    xhr.send();
  });

  if (form) {
    form.addEventListener("submit", function (event) {
      if (inFlight > 0) {
        event.preventDefault();
        announce("Please wait until your files have finished uploading.");
        window.alert("Please wait until your files have finished uploading.");
      }
    });
  }
})();
