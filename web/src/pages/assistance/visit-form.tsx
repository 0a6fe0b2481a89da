/** Recording a visit on a phone: date (today), notes, measures discussed, a photo. */
import { CameraOutlined } from "@ant-design/icons";
import { App, Button, Checkbox, DatePicker, Form, Input, Upload } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useState } from "react";
import { api } from "../../api/client.ts";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaToday } from "../../format.ts";
import { useAssistanceText } from "./assistance.i18n.ts";
import { fileBase64, type MeasureView } from "./assistance-api.ts";

interface Values {
  visitedOn: Dayjs;
  notes: string;
  measureIds?: number[];
}

export function VisitForm(props: {
  householdNumber: string;
  measures: MeasureView[];
  onSaved: () => void;
}) {
  const a = useAssistanceText();
  const { message } = App.useApp();
  const showError = useApiError();
  const [form] = Form.useForm<Values>();
  const [photo, setPhoto] = useState<File | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (v: Values) => {
    setSaving(true);
    try {
      await api.post(`/api/households/${encodeURIComponent(props.householdNumber)}/visits`, {
        visitedOn: v.visitedOn.format("YYYY-MM-DD"),
        notes: v.notes,
        measureIds: v.measureIds ?? [],
        ...(photo ? { photo: { mime: photo.type, data: await fileBase64(photo) } } : {}),
      });
      message.success(a.visitSaved);
      form.resetFields();
      setPhoto(null);
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
      initialValues={{ visitedOn: dayjs(chinaToday()) }}
      onFinish={submit}
      data-testid="visit-form"
    >
      <Form.Item name="visitedOn" label={a.visitDate} rules={[{ required: true }]}>
        <DatePicker style={{ width: "100%" }} inputReadOnly />
      </Form.Item>
      <Form.Item name="notes" label={a.notes} rules={[{ required: true, whitespace: true }]}>
        <Input.TextArea rows={3} placeholder={a.notesPlaceholder} data-testid="visit-notes" />
      </Form.Item>
      {props.measures.length > 0 && (
        <Form.Item name="measureIds" label={a.measuresDiscussed}>
          <Checkbox.Group
            options={props.measures.map((m) => ({ value: m.id, label: `${m.category}·${m.name}` }))}
          />
        </Form.Item>
      )}
      <Form.Item label={a.photo}>
        <Upload
          accept="image/jpeg,image/png"
          capture="environment"
          maxCount={1}
          beforeUpload={(file) => {
            setPhoto(file);
            return false;
          }}
          onRemove={() => setPhoto(null)}
          fileList={photo ? [{ uid: "photo", name: photo.name, status: "done" }] : []}
        >
          <Button icon={<CameraOutlined />} data-testid="visit-photo">
            {a.takePhoto}
          </Button>
        </Upload>
      </Form.Item>
      <Button
        type="primary"
        htmlType="submit"
        block
        size="large"
        loading={saving}
        data-testid="visit-save"
      >
        {a.recordVisit}
      </Button>
    </Form>
  );
}
