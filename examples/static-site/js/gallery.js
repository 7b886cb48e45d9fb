const photos = ["Harbour at dawn", "Market street", "Fog over the ridge"];
const gallery = document.getElementById("gallery");
for (const title of photos) {
  const figure = document.createElement("figure");
  figure.textContent = title;
  gallery.appendChild(figure);
}
