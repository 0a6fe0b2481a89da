/**
 * 部门数据 — a department officer picks the feed type, drops the file and sees the upload's
 * progress, then the load's counts and any invalid rows (row, column, code, message); recent
 * loads link to their comparison reports.
 */
import { DownloadOutlined, InboxOutlined } from "@ant-design/icons";
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Progress,
  Select,
  Space,
  Table,
  Typography,
  Upload,
} from "antd";
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { useApiError } from "../../components/use-api-error.tsx";
import { chinaDateTime } from "../../format.ts";
import { useSession } from "../../session/session.tsx";
import { useFeedsText } from "./feeds.i18n.ts";
import {
  type FeedDefinition,
  type FeedLoad,
  type FeedLoadReport,
  feedDefinitions,
  feedLoads,
  uploadFeed,
} from "./feeds-api.ts";
import { WithdrawLoadButton, WithdrawnTag } from "./withdraw-load.tsx";

export function FeedsPage() {
  const x = useFeedsText();
  const showError = useApiError();
  const { user } = useSession();
  const canLoad = user?.can.includes("feed.load") ?? false;
  const [types, setTypes] = useState<FeedDefinition[]>([]);
  const [type, setType] = useState<string>();
  const [progress, setProgress] = useState<number | null>(null);
  const [result, setResult] = useState<FeedLoadReport | null>(null);
  const [loads, setLoads] = useState<FeedLoad[]>([]);

  const refresh = useCallback(() => {
    feedLoads()
      .then((r) => setLoads(r.items))
      .catch((e: unknown) => showError(e));
  }, [showError]);

  useEffect(() => {
    feedDefinitions()
      .then((r) => {
        setTypes(r.items);
        setType((t) => t ?? r.items[0]?.type);
      })
      .catch((e: unknown) => showError(e));
    refresh();
  }, [showError, refresh]);

  const nameOf = (t: string) => types.find((d) => d.type === t)?.name ?? t;

  const upload = async (file: File) => {
    if (!type) return;
    setResult(null);
    setProgress(0);
    try {
      setResult(await uploadFeed(type, file, setProgress));
      refresh();
    } catch (e) {
      showError(e);
    } finally {
      setProgress(null);
    }
  };

  return (
    <div className="page" data-testid="feeds-page">
      <Typography.Title level={4}>{x.title}</Typography.Title>
      <Typography.Paragraph type="secondary">{x.intro}</Typography.Paragraph>
      <Card className="page__card">
        <Space direction="vertical" style={{ width: "100%" }}>
          <Space>
            <span>{x.type}</span>
            <Select
              data-testid="feed-type"
              style={{ minWidth: 260 }}
              value={type}
              onChange={setType}
              options={types.map((d) => ({
                value: d.type,
                label: `${d.name}（${d.department}）`,
              }))}
            />
            {type && (
              <Button
                icon={<DownloadOutlined />}
                href={`/api/feeds/${encodeURIComponent(type)}/template.xlsx`}
                data-testid="feed-template"
              >
                {x.template}
              </Button>
            )}
          </Space>
          <Upload.Dragger
            accept=".csv,.xlsx"
            showUploadList={false}
            disabled={progress !== null || !type}
            beforeUpload={(file) => {
              void upload(file);
              return false;
            }}
          >
            <p className="ant-upload-drag-icon">
              <InboxOutlined />
            </p>
            <p className="ant-upload-text">{x.drop}</p>
            <p className="ant-upload-hint">{x.dropHint}</p>
          </Upload.Dragger>
          {progress !== null && (
            <div data-testid="feed-progress">
              {x.uploading}
              <Progress percent={Math.round(progress * 100)} status="active" />
            </div>
          )}
        </Space>
      </Card>

      {result && (
        <Card className="page__card" data-testid="feed-result">
          <Alert
            type={result.committed ? "success" : result.rejected > 0 ? "error" : "info"}
            message={
              result.committed ? x.loaded : result.rejected > 0 ? x.refused : x.unchangedLoad
            }
            showIcon
            style={{ marginBottom: 12 }}
          />
          <Descriptions size="small" column={4} bordered>
            <Descriptions.Item label={x.rows}>{result.rows}</Descriptions.Item>
            <Descriptions.Item label={x.matched}>{result.matched}</Descriptions.Item>
            <Descriptions.Item label={x.unmatched}>{result.unmatched}</Descriptions.Item>
            <Descriptions.Item label={x.ambiguous}>{result.ambiguous}</Descriptions.Item>
            <Descriptions.Item label={x.rejected}>{result.rejected}</Descriptions.Item>
            <Descriptions.Item label={x.created}>{result.facts.created}</Descriptions.Item>
            <Descriptions.Item label={x.unchanged}>{result.facts.unchanged}</Descriptions.Item>
            <Descriptions.Item label={x.superseded}>{result.facts.superseded}</Descriptions.Item>
          </Descriptions>
          {result.signals && result.signals.households > 0 && (
            <Typography.Paragraph
              type={result.signals.done ? "secondary" : "warning"}
              style={{ marginTop: 8, marginBottom: 4 }}
              data-testid="feed-rescreened"
            >
              {result.signals.done
                ? x.rescreened(result.signals.households)
                : x.rescreenLater(result.signals.households)}
            </Typography.Paragraph>
          )}
          {result.loadId !== null && (
            <Link to={`/feeds/loads/${result.loadId}`} data-testid="feed-report-link">
              {x.report}
            </Link>
          )}
          {result.errors.length > 0 && (
            <Table
              size="small"
              rowKey={(e) => `${e.row}:${e.column}:${e.code}`}
              dataSource={result.errors}
              pagination={{ pageSize: 20 }}
              columns={[
                { title: x.row, dataIndex: "row", width: 80 },
                { title: x.column, dataIndex: "column", width: 140 },
                { title: x.code, dataIndex: "code", width: 180 },
                { title: x.message, dataIndex: "message" },
              ]}
            />
          )}
        </Card>
      )}

      <Card title={x.recent} className="page__card">
        <Table
          size="small"
          rowKey="id"
          dataSource={loads}
          data-testid="feed-loads"
          pagination={{ pageSize: 10 }}
          columns={[
            {
              title: x.loadedAt,
              dataIndex: "loadedAt",
              render: (v: string) => chinaDateTime(v),
            },
            { title: x.type, dataIndex: "feedType", render: (v: string) => nameOf(v) },
            { title: x.file, dataIndex: "fileName" },
            { title: x.by, dataIndex: "actorName" },
            { title: x.matched, dataIndex: "matched" },
            { title: x.unmatched, dataIndex: "unmatched" },
            {
              title: x.actions,
              key: "report",
              render: (_: unknown, l: FeedLoad) => (
                <Space size={4}>
                  <Link to={`/feeds/loads/${l.id}`}>{x.report}</Link>
                  <WithdrawnTag load={l} />
                  {canLoad && !l.withdrawn && <WithdrawLoadButton load={l} onDone={refresh} />}
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </div>
  );
}
