/** One form item for one registry field, its control chosen by the field's kind. */
import { DatePicker, Form, Input, InputNumber, Select } from "antd";
import type { Rule } from "antd/es/form/index.js";
import { checkIdNumber } from "../../../src/core/id-number.ts";
import type { FieldDef } from "../../../src/core/registry-fields.ts";
import { EDUCATION_LEVELS, RELATIONSHIPS } from "../../../src/core/vocab.ts";
import { type LabelLang, useI18n } from "../i18n/i18n.tsx";
import type { Messages } from "../i18n/zh-CN.ts";
import { fieldLabel, vocabLabel } from "./fields.ts";

/** Text fields whose values come from a national list. */
const TEXT_CHOICES: Record<string, readonly string[]> = {
  relationship: RELATIONSHIPS,
  education: EDUCATION_LEVELS,
};

interface FieldInputProps {
  def: FieldDef;
  /** Sensitive values are masked in what was read, so they cannot be edited. */
  locked?: boolean;
}

export function FieldInput({ def, locked = false }: FieldInputProps) {
  const { t, fieldLang } = useI18n();
  const label = fieldLabel(def, fieldLang);
  const choice =
    def.kind === "enum" ||
    def.kind === "enum_list" ||
    def.kind === "flag" ||
    def.key in TEXT_CHOICES;
  const rules: Rule[] = [];
  if (def.required && !locked) {
    rules.push({
      required: true,
      message: choice ? t.form.requiredChoice(label) : t.form.required(label),
    });
  }
  if (def.kind === "text" && def.maxLength) {
    rules.push({ max: def.maxLength, message: t.form.tooLong(label, def.maxLength) });
  }
  if (def.key === "idNumber" && !locked) {
    rules.push(({ getFieldValue }) => ({
      validator(_, value: unknown) {
        if (typeof value !== "string" || value.trim() === "" || getFieldValue("idType") === "other")
          return Promise.resolve();
        const check = checkIdNumber(value);
        return check.valid ? Promise.resolve() : Promise.reject(new Error(check.message));
      },
    }));
  }
  return (
    <Form.Item
      name={def.key}
      label={label}
      rules={rules}
      extra={locked ? t.members.sensitiveLocked : undefined}
      dependencies={def.key === "idNumber" ? ["idType"] : undefined}
    >
      {control(def, locked, t, fieldLang)}
    </Form.Item>
  );
}

function control(def: FieldDef, disabled: boolean, t: Messages, lang: LabelLang) {
  const f = t.form;
  const choices = TEXT_CHOICES[def.key];
  if (choices) {
    return (
      <Select
        disabled={disabled}
        allowClear
        showSearch
        placeholder={f.selectPlaceholder}
        options={choices.map((c) => ({ value: c, label: c }))}
      />
    );
  }
  switch (def.kind) {
    case "text":
      return def.maxLength && def.maxLength > 200 ? (
        <Input.TextArea disabled={disabled} rows={3} maxLength={def.maxLength} showCount />
      ) : (
        <Input disabled={disabled} maxLength={def.maxLength} allowClear />
      );
    case "flag":
      return (
        <Select
          disabled={disabled}
          allowClear
          placeholder={f.flagUnknown}
          options={[
            { value: true, label: t.common.yes },
            { value: false, label: t.common.no },
          ]}
        />
      );
    case "money":
      return (
        <InputNumber
          disabled={disabled}
          precision={2}
          step={100}
          style={{ width: "100%" }}
          suffix={f.yuanSuffix}
        />
      );
    case "int":
      return <InputNumber disabled={disabled} precision={0} min={0} style={{ width: "100%" }} />;
    case "decimal":
      return <InputNumber disabled={disabled} min={0} style={{ width: "100%" }} />;
    case "date":
      return <DatePicker disabled={disabled} style={{ width: "100%" }} format="YYYY-MM-DD" />;
    case "month":
      return (
        <DatePicker disabled={disabled} picker="month" style={{ width: "100%" }} format="YYYY-MM" />
      );
    case "enum":
      return (
        <Select
          disabled={disabled}
          allowClear={!def.required}
          placeholder={f.selectPlaceholder}
          options={(def.vocab ?? []).map((v) => ({
            value: v.code,
            label: vocabLabel(def.vocab ?? [], v.code, lang),
          }))}
        />
      );
    case "enum_list":
      return (
        <Select
          disabled={disabled}
          mode="multiple"
          maxCount={5}
          allowClear
          placeholder={f.selectPlaceholder}
          options={(def.vocab ?? []).map((v) => ({
            value: v.code,
            label: vocabLabel(def.vocab ?? [], v.code, lang),
          }))}
        />
      );
  }
}
