/** 修改原因 — the optional reason every change carries into the history. */
import { Input, Typography } from "antd";
import { useId } from "react";
import { useI18n } from "../i18n/i18n.tsx";

export function ReasonInput({
  value,
  onChange,
  label,
}: {
  value: string;
  onChange(v: string): void;
  label?: string;
}) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className="reason-input">
      <label htmlFor={id}>
        <Typography.Text strong>{label ?? t.form.reason}</Typography.Text>
      </label>
      <Input.TextArea
        id={id}
        rows={2}
        maxLength={500}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={t.form.reasonPlaceholder}
        data-testid="change-reason"
      />
    </div>
  );
}
