/** Adding a measure from the policy's catalogue, with amount, date and status. */
import { App, Button, DatePicker, Form, InputNumber, Select } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaToday } from "../../format.ts";
import { useAssistanceText } from "./assistance.i18n.ts";
import type { PlanView } from "./assistance-api.ts";

interface Values {
  code: string;
  amount?: number;
  date: Dayjs;
  status: string;
}

export function MeasureForm(props: {
  householdNumber: string;
  catalogue: PlanView["catalogue"];
  onSaved: () => void;
}) {
  const a = useAssistanceText();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const categories = [...new Set(props.catalogue.map((m) => m.category))];

  const submit = async (v: Values) => {
    setSaving(true);
    try {
      await api.post(`/api/households/${encodeURIComponent(props.householdNumber)}/measures`, {
        code: v.code,
        amountFen: Math.round((v.amount ?? 0) * 100),
        date: v.date.format("YYYY-MM-DD"),
        status: v.status,
      });
      message.success(a.measureSaved);
      form.resetFields();
      props.onSaved();
    } catch (e) {
      showError(e, { form });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={{ date: dayjs(chinaToday()), status: "delivered" }}
      onFinish={submit}
      data-testid="measure-form"
    >
      <Form.Item name="code" label={a.measure} rules={[{ required: true }]}>
        <Select
          showSearch
          optionFilterProp="label"
          data-testid="measure-code"
          options={categories.map((c) => ({
            label: c,
            options: props.catalogue
              .filter((m) => m.category === c)
              .map((m) => ({
                value: m.code,
                label: `${m.name}${m.development ? `（${a.development}）` : ""}`,
              })),
          }))}
        />
      </Form.Item>
      <Form.Item name="amount" label={a.amount}>
        <InputNumber
          min={0}
          step={100}
          precision={2}
          style={{ width: "100%" }}
          data-testid="measure-amount"
        />
      </Form.Item>
      <Form.Item name="date" label={a.date} rules={[{ required: true }]}>
        <DatePicker style={{ width: "100%" }} inputReadOnly />
      </Form.Item>
      <Form.Item name="status" label={a.status} rules={[{ required: true }]}>
        <Select options={Object.entries(a.statuses).map(([value, label]) => ({ value, label }))} />
      </Form.Item>
      <Button
        type="primary"
        htmlType="submit"
        block
        size="large"
        loading={saving}
        data-testid="measure-save"
      >
        {a.addMeasure}
      </Button>
    </Form>
  );
}
