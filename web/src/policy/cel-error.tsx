/**
 * A condition's error where it is: the source with the faulty token underlined in red (or a
 * caret at the end when something is missing), then the message and the position.
 */
import { CloseCircleFilled } from "@ant-design/icons";
import { useI18n } from "../i18n/i18n.tsx";
import type { RuleError } from "../monitoring/monitoring-api.ts";

/** The span to mark: the word at the position, or the dot and the name after it. */
export function markedSpan(source: string, position: number): [number, number] {
  const at = Math.max(0, Math.min(position, source.length));
  if (at >= source.length) return [source.length, source.length];
  const word = /[A-Za-z0-9_\u4e00-\u9fa5]/;
  const operator = /[&|=<>!]/;
  let end = at;
  if (operator.test(source[end]!)) {
    while (end < source.length && operator.test(source[end]!)) end++;
    return [at, end];
  }
  if (source[end] === ".") end++;
  while (end < source.length && word.test(source[end]!)) end++;
  return [at, Math.max(end, at + 1)];
}

export function CelError({ source, error }: { source: string; error: RuleError }) {
  const { t } = useI18n();
  const [from, to] = markedSpan(source, error.position);
  return (
    <div className="cel-error" data-testid="cel-error">
      <pre className="cel-error__source">
        {source.slice(0, from)}
        {from === to ? (
          <mark className="cel-error__caret" title={t.policy.errorAt(from + 1)}>
            {" "}
          </mark>
        ) : (
          <mark className="cel-error__mark" data-testid="cel-error-mark">
            {source.slice(from, to)}
          </mark>
        )}
        {source.slice(to)}
      </pre>
      <div className="cel-error__message">
        <CloseCircleFilled />{" "}
        <span className="cel-error__pos">{t.policy.errorAt(error.position + 1)}</span>
        {t.common.colon}
        {error.message}
      </div>
    </div>
  );
}
