import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Root } from "./app.tsx";
import "./styles.css";

const element = document.getElementById("root");
if (!element) throw new Error("#root is missing from index.html");
createRoot(element).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
